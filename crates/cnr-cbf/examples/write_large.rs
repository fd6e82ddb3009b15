//! Measures the CBF writer and reader on a large synthetic program.
//!
//! `cargo run --release -p cnr-cbf --example write_large -- [NNZ]` builds a program with about `NNZ`
//! non-zeros in `A` (default 11 million), writes it to a file in the system's temporary directory,
//! reads it back, and prints the sizes and timings.

use std::time::Instant;

use cnr_ir::{Cone, ConeProgram, RowBuilder, Sense};

fn main() {
    let nnz: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(11_000_000);
    let (n, per_row) = (10_000usize, 10usize);
    let m = (nnz / per_row).div_ceil(6) * 6;
    let start = Instant::now();
    let mut rows = RowBuilder::with_capacity(m, m * per_row);
    let mut state = 1u64;
    for i in 0..m {
        for k in 0..per_row {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let value = (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
            rows.push_entry((i * 7 + k * 997) % n, value);
        }
        rows.end_row(if i % 3 == 0 { 0.0 } else { 1.0 / (i + 1) as f64 });
    }
    let (a, b) = rows.finish(n);
    let mut p = ConeProgram::new("large", n, Sense::Minimize);
    p.q = (0..n).map(|j| (j % 5) as f64 - 2.0).collect();
    p.a = a;
    p.b = b;
    // Groups of six rows: three non-negative rows, then an exponential cone.
    p.cones = (0..m / 6).flat_map(|_| [Cone::Nonneg(3), Cone::Exp]).collect();
    println!("built {} rows, {} columns, {} non-zeros in {:.2?}", p.m(), n, p.a.nnz(), start.elapsed());

    let path = std::env::temp_dir().join("cnr-cbf-write-large.cbf");
    let start = Instant::now();
    let file = std::fs::File::create(&path).expect("the temporary file can be created");
    cnr_cbf::write_cbf(&p, file, "write_large").expect("the program can be written");
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!("wrote {} MB in {:.2?}", bytes / 1_000_000, start.elapsed());

    let start = Instant::now();
    let text = std::fs::read_to_string(&path).expect("the file can be read");
    let back = cnr_cbf::read_cbf(&text, "large", 8 << 30).expect("the file reads back");
    println!("read it back in {:.2?}", start.elapsed());
    assert_eq!(back.a, p.a, "the round trip is exact");
    let _ = std::fs::remove_file(&path);
}
