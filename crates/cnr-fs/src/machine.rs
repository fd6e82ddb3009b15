//! What the machine has, read from the system's files.

/// `MemTotal` of `/proc/meminfo`, in bytes; `None` where it cannot be read.
pub fn memory_total() -> Option<u64> {
    std::fs::read_to_string("/proc/meminfo").ok().and_then(|text| mem_total(&text))
}

/// `MemTotal`, in bytes, from the text of `/proc/meminfo` (`MemTotal:  24684108 kB`).
fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.trim_start_matches("MemTotal:").trim().trim_end_matches("kB").trim().parse().ok()?;
    kib.checked_mul(1024)
}

#[cfg(test)]
mod tests {
    use super::mem_total;

    #[test]
    fn mem_total_reads_kibibytes() {
        assert_eq!(mem_total("MemFree: 1 kB\nMemTotal:  24684108 kB\n"), Some(24684108 * 1024));
        assert_eq!(mem_total("MemFree: 1 kB\n"), None);
        assert_eq!(mem_total("MemTotal: lots kB"), None);
    }
}
