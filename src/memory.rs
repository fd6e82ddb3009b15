//! `--max-memory SIZE`: the sizes the flag takes (the default budget is the driver's).

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
}
