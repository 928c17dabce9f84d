//! Single-file USTAR archives: how files travel to and from a sandbox over
//! exec stdin/stdout (`tar xf -` / `tar cf -`), so that their content never
//! appears in a command line.

use crate::error::{Error, Result};

const BLOCK: usize = 512;

/// Owner of written files (the sandbox user of the AgentPane image).
pub const DEFAULT_UID: u32 = 1000;

/// One regular file read from an archive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TarFile {
    pub name: String,
    pub mode: u32,
    pub content: Vec<u8>,
}

/// Writes `value` as NUL-terminated, zero-padded octal in `field`.
fn octal(field: &mut [u8], value: u64) -> Result<()> {
    let digits = field.len() - 1;
    let text = format!("{value:0digits$o}");
    if text.len() > digits {
        return Err(Error::invalid(format!(
            "{value} does not fit in a {digits}-digit tar field"
        )));
    }
    field[..digits].copy_from_slice(text.as_bytes());
    field[digits] = 0;
    Ok(())
}

/// A USTAR archive holding one regular file `name` (no directories: at most
/// 100 bytes), owned by uid/gid 1000, followed by the two-block trailer.
pub fn single_file_archive(name: &str, content: &[u8], mode: u32, mtime: u64) -> Result<Vec<u8>> {
    if name.is_empty() || name.contains('/') {
        return Err(Error::invalid(format!(
            "tar entry name must be a plain file name, got {name:?}"
        )));
    }
    if name.len() > 100 {
        return Err(Error::invalid(format!(
            "tar entry name too long ({} bytes, at most 100): {name}",
            name.len()
        )));
    }
    let mut header = [0u8; BLOCK];
    header[..name.len()].copy_from_slice(name.as_bytes());
    octal(&mut header[100..108], u64::from(mode & 0o7777))?;
    octal(&mut header[108..116], u64::from(DEFAULT_UID))?;
    octal(&mut header[116..124], u64::from(DEFAULT_UID))?;
    octal(&mut header[124..136], content.len() as u64)?;
    octal(&mut header[136..148], mtime)?;
    header[156] = b'0';
    header[257..263].copy_from_slice(b"ustar\0");
    header[263..265].copy_from_slice(b"00");
    header[265..269].copy_from_slice(b"node");
    header[297..301].copy_from_slice(b"node");
    octal(&mut header[329..337], 0)?;
    octal(&mut header[337..345], 0)?;
    // Checksum: the byte sum with the checksum field counted as spaces,
    // written as six octal digits, NUL, space.
    header[148..156].fill(b' ');
    let sum: u32 = header.iter().map(|b| u32::from(*b)).sum();
    header[148..154].copy_from_slice(format!("{sum:06o}").as_bytes());
    header[154] = 0;
    header[155] = b' ';

    let padded = content.len().div_ceil(BLOCK) * BLOCK;
    let mut archive = Vec::with_capacity(BLOCK + padded + 2 * BLOCK);
    archive.extend_from_slice(&header);
    archive.extend_from_slice(content);
    archive.resize(BLOCK + padded + 2 * BLOCK, 0);
    Ok(archive)
}

fn parse_octal(field: &[u8]) -> Result<u64> {
    let text: String = field
        .iter()
        .take_while(|b| **b != 0)
        .map(|b| *b as char)
        .collect::<String>()
        .trim()
        .to_string();
    if text.is_empty() {
        return Ok(0);
    }
    u64::from_str_radix(&text, 8)
        .map_err(|_| Error::invalid(format!("bad octal field {text:?} in tar header")))
}

fn field_str(field: &[u8]) -> String {
    String::from_utf8_lossy(&field[..field.iter().position(|b| *b == 0).unwrap_or(field.len())])
        .into_owned()
}

/// The file a tar archive of one file holds (as `tar cf -` of it writes
/// it; GNU long-name and pax headers are skipped). Its first entry must be a
/// regular file: a directory, a link or a device is refused, never stood in
/// for by something inside it.
pub fn first_file(archive: &[u8]) -> Result<TarFile> {
    let mut offset = 0;
    let mut long_name: Option<String> = None;
    while offset + BLOCK <= archive.len() {
        let header = &archive[offset..offset + BLOCK];
        if header.iter().all(|b| *b == 0) {
            break;
        }
        let size = parse_octal(&header[124..136])? as usize;
        let data_start = offset + BLOCK;
        let data_end = data_start + size;
        if data_end > archive.len() {
            return Err(Error::invalid("tar archive is truncated"));
        }
        let data = &archive[data_start..data_end];
        match header[156] {
            b'0' | 0 => {
                let mut name = field_str(&header[0..100]);
                let prefix = field_str(&header[345..500]);
                if !prefix.is_empty() {
                    name = format!("{prefix}/{name}");
                }
                return Ok(TarFile {
                    name: long_name.unwrap_or(name),
                    mode: parse_octal(&header[100..108])? as u32,
                    content: data.to_vec(),
                });
            }
            b'L' => long_name = Some(field_str(data)),
            // pax headers and GNU long link names describe the next entry.
            b'x' | b'g' | b'K' => {}
            kind => {
                let what = match kind {
                    b'5' => "a directory",
                    b'1' | b'2' => "a link",
                    b'3' | b'4' => "a device",
                    b'6' => "a FIFO",
                    _ => "not a regular file",
                };
                return Err(Error::invalid_argument(format!(
                    "the path names {what}, not a regular file"
                )));
            }
        }
        offset = data_start + size.div_ceil(BLOCK) * BLOCK;
    }
    Err(Error::invalid("tar archive holds no regular file"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_layout_and_checksum() {
        let a = single_file_archive("secret.json", b"{\"k\":1}", 0o600, 0).unwrap();
        assert_eq!(a.len(), 512 + 512 + 1024);
        assert_eq!(&a[0..11], b"secret.json");
        assert_eq!(&a[100..108], b"0000600\0");
        assert_eq!(&a[108..116], b"0001750\0");
        assert_eq!(&a[124..136], b"00000000007\0");
        assert_eq!(a[156], b'0');
        assert_eq!(&a[257..263], b"ustar\0");
        let mut copy = a[..512].to_vec();
        copy[148..156].fill(b' ');
        let sum: u32 = copy.iter().map(|b| u32::from(*b)).sum();
        assert_eq!(&a[148..156], format!("{sum:06o}\0 ").as_bytes());
    }

    #[test]
    fn names_are_checked() {
        assert!(
            single_file_archive(&"x".repeat(101), b"", 0o644, 0)
                .unwrap_err()
                .to_string()
                .contains("too long")
        );
        assert!(single_file_archive("a/b", b"", 0o644, 0).is_err());
    }

    #[test]
    fn a_directory_or_a_link_is_not_a_file() {
        // What `tar cf - ./dir` writes first: the directory's own header,
        // then what is inside it.
        let mut header = single_file_archive("dir", b"", 0o755, 0).unwrap()[..BLOCK].to_vec();
        header[156] = b'5';
        let inside = single_file_archive("inside", b"not this", 0o644, 0).unwrap();
        let dir = [header, inside].concat();
        let err = first_file(&dir).unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::InvalidArgument);
        assert!(err.to_string().contains("a directory"), "{err}");
    }

    #[test]
    fn round_trip() {
        let content: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let a = single_file_archive("blob.bin", &content, 0o751, 1_700_000_000).unwrap();
        let f = first_file(&a).unwrap();
        assert_eq!(
            (f.name.as_str(), f.mode, f.content.len()),
            ("blob.bin", 0o751, content.len())
        );
        assert_eq!(f.content, content);
    }
}
