//! Ids and names of provider-made objects.

/// A collision-resistant id in cuid2's shape: a letter, then 23 base-36
/// characters, from the operating system's random source.
pub fn create_id() -> String {
    let mut bytes = [0u8; 24];
    // The OS source only fails where no randomness exists at all; the clock
    // and a counter still keep ids distinct within this process then.
    if getrandom::fill(&mut bytes).is_err() {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = ((t >> ((i % 16) * 8)) as u8) ^ (n as u8).wrapping_mul(i as u8 + 1);
        }
    }
    let digits = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut id = String::with_capacity(24);
    id.push((b'a' + bytes[0] % 26) as char);
    for b in &bytes[1..] {
        id.push(digits[(*b % 36) as usize] as char);
    }
    id
}

/// `agentpane-<codespace[0:20]>-<id[0:8]>`, lowercased, every character
/// outside `[a-z0-9-]` replaced by `-` (counted in characters, as JS does).
pub fn sandbox_name_for(codespace_id: &str, sandbox_id: &str) -> String {
    let codespace: String = codespace_id.chars().take(20).collect();
    let id: String = sandbox_id.chars().take(8).collect();
    format!("agentpane-{codespace}-{id}")
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The warm-pool claim made for a sandbox name (at most 63 characters).
pub fn claim_name_for(sandbox_name: &str) -> String {
    format!("claim-{sandbox_name}").chars().take(63).collect()
}

/// The deny-all NetworkPolicy of a sandbox.
pub fn network_policy_name_for(sandbox_name: &str) -> String {
    format!("np-{sandbox_name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_cuid2_shape() {
        let a = create_id();
        assert_eq!(a.len(), 24);
        assert!(a.as_bytes()[0].is_ascii_lowercase());
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        );
        assert_ne!(a, create_id());
    }

    #[test]
    fn names() {
        assert_eq!(
            sandbox_name_for("cs-e2e", "sbe2e0000000000000000001"),
            "agentpane-cs-e2e-sbe2e000"
        );
        assert_eq!(
            sandbox_name_for("My_Project.X", "ABCDEFGHIJ"),
            "agentpane-my-project-x-abcdefgh"
        );
        assert_eq!(sandbox_name_for("é", "x"), "agentpane---x");
        assert_eq!(claim_name_for(&"a".repeat(80)).len(), 63);
    }
}
