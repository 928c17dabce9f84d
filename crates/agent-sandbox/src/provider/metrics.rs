//! Sandbox metrics: what a backend reports, or what the sandbox's own
//! cgroup says, read by [`PROBE`] in one exec.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// Which source answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MetricsSource {
    /// metrics.k8s.io (or the Docker daemon's stats).
    MetricsApi,
    /// The container's cgroup, read from inside.
    Cgroup,
    Unavailable,
}

/// AgentPane's `SandboxMetrics`; unknown values are 0.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SandboxMetrics {
    pub cpu_usage_percent: f64,
    pub memory_usage_mb: f64,
    pub memory_limit_mb: f64,
    pub disk_usage_mb: f64,
    pub network_rx_bytes: f64,
    pub network_tx_bytes: f64,
    /// Milliseconds since the sandbox started.
    pub uptime: f64,
    pub source: MetricsSource,
}

impl SandboxMetrics {
    pub fn unavailable(memory_limit_mb: f64, uptime_ms: f64) -> Self {
        SandboxMetrics {
            cpu_usage_percent: 0.0,
            memory_usage_mb: 0.0,
            memory_limit_mb,
            disk_usage_mb: 0.0,
            network_rx_bytes: 0.0,
            network_tx_bytes: 0.0,
            uptime: uptime_ms,
            source: MetricsSource::Unavailable,
        }
    }
}

/// A fixed script (no caller input): two CPU samples 250 ms apart, memory,
/// CPUs, network and disk, one `key values...` line each.
pub const PROBE: &str = r#"cg=/sys/fs/cgroup
cpu() { if [ -f $cg/cpu.stat ]; then awk '/^usage_usec/{printf "%.0f", $2*1000}' $cg/cpu.stat;
        elif [ -f $cg/cpuacct/cpuacct.usage ]; then cat $cg/cpuacct/cpuacct.usage; fi; }
t1=$(date +%s%N); c1=$(cpu); sleep 0.25; t2=$(date +%s%N); c2=$(cpu)
echo "cpu $c1 $c2 $t1 $t2"
if [ -f $cg/memory.current ]; then echo "mem $(cat $cg/memory.current) $(cat $cg/memory.max)";
elif [ -f $cg/memory/memory.usage_in_bytes ]; then echo "mem $(cat $cg/memory/memory.usage_in_bytes) $(cat $cg/memory/memory.limit_in_bytes)"; fi
echo "cpus $(nproc 2>/dev/null || echo 1)"
awk 'NR>2 { sub(":", " ", $0); split($0, f, " "); if (f[1] != "lo") { rx += f[2]; tx += f[10] } } END { print "net", rx+0, tx+0 }' /proc/net/dev
df -k / 2>/dev/null | awk 'NR==2 { print "disk", $3 }'
"#;

/// A Kubernetes quantity as a number: cores for CPU, bytes for memory.
pub fn parse_quantity(q: &str) -> Option<f64> {
    let q = q.trim();
    let split = q
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(q.len());
    let (number, suffix) = q.split_at(split);
    let n: f64 = number.parse().ok()?;
    let scale = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" | "K" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some(n * scale)
}

/// The probe's output by key; malformed numbers are left out.
pub fn parse_probe(stdout: &str) -> HashMap<String, Vec<f64>> {
    stdout
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let key = words.next()?;
            Some((
                key.to_string(),
                words.filter_map(|w| w.parse().ok()).collect(),
            ))
        })
        .collect()
}

/// Metrics from the probe's output. `cpu_limit` in cores and
/// `memory_limit_bytes` come from the pod spec when set.
pub fn from_probe(
    stdout: &str,
    cpu_limit: Option<f64>,
    memory_limit_bytes: Option<f64>,
    default_memory_limit_mb: f64,
    uptime_ms: f64,
) -> SandboxMetrics {
    let p = parse_probe(stdout);
    let field = |k: &str, i: usize| p.get(k).and_then(|v| v.get(i)).copied();
    let mib = 1024.0 * 1024.0;
    let cores = cpu_limit
        .filter(|c| *c > 0.0)
        .or(field("cpus", 0))
        .unwrap_or(1.0);
    let cpu_usage_percent = match (
        field("cpu", 0),
        field("cpu", 1),
        field("cpu", 2),
        field("cpu", 3),
    ) {
        (Some(c1), Some(c2), Some(t1), Some(t2)) if c2 > c1 && t2 > t1 => {
            (c2 - c1) / (t2 - t1) / cores * 100.0
        }
        _ => 0.0,
    };
    // cgroup v1 reports "no limit" as a huge number; v2 as "max" (not a number).
    let cgroup_limit = field("mem", 1).filter(|m| *m < 2f64.powi(60));
    let memory_limit_mb = match (memory_limit_bytes, cgroup_limit) {
        (Some(b), _) => (b / mib).round(),
        (None, Some(c)) => (c / mib).round(),
        (None, None) => default_memory_limit_mb,
    };
    SandboxMetrics {
        cpu_usage_percent,
        memory_usage_mb: field("mem", 0).map(|m| (m / mib).round()).unwrap_or(0.0),
        memory_limit_mb,
        disk_usage_mb: field("disk", 0)
            .map(|k| (k / 1024.0).round())
            .unwrap_or(0.0),
        network_rx_bytes: field("net", 0).unwrap_or(0.0),
        network_tx_bytes: field("net", 1).unwrap_or(0.0),
        uptime: uptime_ms,
        source: MetricsSource::Cgroup,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        assert_eq!(parse_quantity("500m"), Some(0.5));
        assert_eq!(parse_quantity("2"), Some(2.0));
        assert_eq!(parse_quantity("512Mi"), Some(512.0 * 1024.0 * 1024.0));
        assert_eq!(parse_quantity("1Gi"), Some(1024.0 * 1024.0 * 1024.0));
        assert!((parse_quantity("12345n").unwrap() - 12345e-9).abs() < 1e-15);
        assert_eq!(parse_quantity("x"), None);
        assert_eq!(parse_quantity("1Q"), None);
    }

    #[test]
    fn probe_output() {
        let out =
            "cpu 1000000 51000000 0 250000000\nmem 104857600 max\ncpus 4\nnet 10 20\ndisk 2048\n";
        let m = from_probe(out, Some(2.0), None, 4096.0, 5.0);
        assert_eq!(m.cpu_usage_percent, 10.0);
        assert_eq!(m.memory_usage_mb, 100.0);
        assert_eq!(m.memory_limit_mb, 4096.0);
        assert_eq!(
            (m.network_rx_bytes, m.network_tx_bytes, m.disk_usage_mb),
            (10.0, 20.0, 2.0)
        );
        assert_eq!(m.source, MetricsSource::Cgroup);
        let limited = from_probe("mem 1 268435456\n", None, None, 4096.0, 0.0);
        assert_eq!(limited.memory_limit_mb, 256.0);
    }
}
