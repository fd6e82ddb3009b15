//! The memory budget of a command: `--max-memory SIZE`, or half of the machine's memory.

/// The budget when `--max-memory` is not given: half of the machine's memory (`MemTotal` in
/// `/proc/meminfo`), which leaves room for the solver's own work; 8 GiB where that is unknown.
pub fn machine_budget() -> u64 {
    let total = std::fs::read_to_string("/proc/meminfo").ok().and_then(|text| mem_total(&text));
    total.map_or(cnr_check::budget::DEFAULT_BYTES, |bytes| bytes / 2)
}

/// `MemTotal`, in bytes, from the text of `/proc/meminfo` (`MemTotal:  24684108 kB`).
fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.trim_start_matches("MemTotal:").trim().trim_end_matches("kB").trim().parse().ok()?;
    kib.checked_mul(1024)
}

/// A size as `--max-memory` takes it: a number of bytes, or a number with `K`, `M`, `G` or `T`
/// (powers of 1024, optionally followed by `B` or `iB`): `8G`, `500M`, `1.5GiB`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let help = "write a size like 8G, 500M or 1.5GiB (K, M, G, T are powers of 1024)";
    let t = s.trim();
    let upper = t.to_ascii_uppercase();
    let body = upper.strip_suffix("IB").or_else(|| upper.strip_suffix('B')).unwrap_or(&upper);
    let (number, scale) = match body.chars().last() {
        Some('K') => (&body[..body.len() - 1], 1u64 << 10),
        Some('M') => (&body[..body.len() - 1], 1 << 20),
        Some('G') => (&body[..body.len() - 1], 1 << 30),
        Some('T') => (&body[..body.len() - 1], 1 << 40),
        _ => (body, 1),
    };
    let value: f64 = number.trim().parse().map_err(|_| format!("`{s}` is not a size: {help}"))?;
    let bytes = value * scale as f64;
    if !(value.is_finite() && bytes >= 1.0 && bytes < u64::MAX as f64) {
        return Err(format!("`{s}` is not a size from 1 byte to 16 EiB: {help}"));
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_powers_of_1024() {
        assert_eq!(parse_size("8G"), Ok(8 << 30));
        assert_eq!(parse_size("500M"), Ok(500 << 20));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size("2kb"), Ok(2048));
        assert_eq!(parse_size("123"), Ok(123));
        for bad in ["", "G", "-1G", "eight", "1e30T", "0", "NaN"] {
            assert!(parse_size(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn the_machine_memory_is_read_from_meminfo() {
        assert_eq!(mem_total("MemFree: 1 kB\nMemTotal:       24684108 kB\n"), Some(24684108 * 1024));
        assert_eq!(mem_total("nothing"), None);
    }
}
