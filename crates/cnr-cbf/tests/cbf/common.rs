//! Helpers shared by the test modules.

use cnr_ir::{Block, Cone, ConeProgram, RowBuilder, Sense};

/// A tiny deterministic generator (64-bit LCG), so tests need no extra crates and never vary.
pub struct Lcg(pub u64);

impl Lcg {
    /// The next 64 raw bits (the high half of the state is the better half of an LCG).
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0
    }

    /// A uniform number in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A uniform integer in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() >> 33) % n as u64) as usize
    }
}

/// Writes a program to a string with a fixed tool version.
pub fn write_string(program: &ConeProgram) -> String {
    let mut out = Vec::new();
    cnr_cbf::write_cbf(program, &mut out, "cnr test").expect("the program can be written");
    String::from_utf8(out).expect("the writer emits UTF-8")
}

/// A program with the given cones, a random sparse `A` (every row has at least one entry), random `b`,
/// `q` and `c`, and named blocks. Values are drawn at full precision, with a few extreme magnitudes, so
/// the round trip tests the shortest-float formatting too.
pub fn random_program(seed: u64, n: usize, cones: Vec<Cone>, sense: Sense) -> ConeProgram {
    let mut g = Lcg(seed);
    let extremes = [1e-300, -2.5e300, 5e-324, 0.1, -1.0 / 3.0, 123456789.0];
    let value = |g: &mut Lcg| {
        if g.below(10) == 0 {
            extremes[g.below(extremes.len())]
        } else {
            (g.unit() - 0.5) * 20.0
        }
    };
    let m: usize = cones.iter().map(Cone::dim).sum();
    let mut rows = RowBuilder::new();
    for _ in 0..m {
        let first = g.below(n);
        let mut entries = vec![(first, value(&mut g))];
        for j in 0..n {
            if j != first && g.below(3) == 0 {
                entries.push((j, value(&mut g)));
            }
        }
        let rhs = if g.below(4) == 0 { 0.0 } else { value(&mut g) };
        rows.push_row(&entries, rhs);
    }
    let (a, b) = rows.finish(n);
    let mut p = ConeProgram::new(format!("random {seed}"), n, sense);
    p.q = (0..n).map(|j| if j % 3 == 1 { 0.0 } else { value(&mut g) }).collect();
    p.c = value(&mut g);
    p.a = a;
    p.b = b;
    p.cones = cones;
    p.var_blocks = vec![Block::vector("w", 0, "coordinate", n - 1), Block::vector("t", n - 1, "sample", 1)];
    p.row_blocks = vec![Block::array("all rows", 0, &[("row", m)], 1)];
    p
}
