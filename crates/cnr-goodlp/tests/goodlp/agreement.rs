//! Random feasible, bounded LPs: good_lp (microlp) and Clarabel must find the same optimum.

use cnr_ir::{Cone, ConeProgram, RowBuilder, Sense, SolverSettings, Status};

/// A tiny deterministic generator (64-bit LCG).
struct Lcg(u64);

impl Lcg {
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
}

/// An LP that is feasible by construction (every row holds at a point `x0` with slack) and bounded
/// (the box `|x_j| ≤ 10` is part of it): `meq` equality rows, `mle` random inequality rows, then the box.
fn random_lp(seed: u64, n: usize, meq: usize, mle: usize) -> ConeProgram {
    let mut g = Lcg(seed);
    let x0: Vec<f64> = (0..n).map(|_| g.range(-1.0, 1.0)).collect();
    let mut rows = RowBuilder::new();
    let mut random_row = |g: &mut Lcg, slack: f64| {
        let mut entries: Vec<(usize, f64)> = Vec::new();
        for j in 0..n {
            if g.unit() < 0.6 {
                entries.push((j, g.range(-3.0, 3.0)));
            }
        }
        let at_x0: f64 = entries.iter().map(|&(j, v)| v * x0[j]).sum();
        rows.push_row(&entries, at_x0 + slack);
    };
    for _ in 0..meq {
        random_row(&mut g, 0.0);
    }
    for _ in 0..mle {
        let slack = g.range(0.1, 2.0);
        random_row(&mut g, slack);
    }
    for j in 0..n {
        rows.push_row(&[(j, 1.0)], 10.0);
        rows.push_row(&[(j, -1.0)], 10.0);
    }
    let (a, b) = rows.finish(n);
    let sense = if seed.is_multiple_of(2) { Sense::Minimize } else { Sense::Maximize };
    let mut p = ConeProgram::new(format!("random LP {seed}"), n, sense);
    p.q = (0..n).map(|_| g.range(-5.0, 5.0)).collect();
    p.c = g.range(-1.0, 1.0);
    p.a = a;
    p.b = b;
    p.cones = vec![Cone::Zero(meq), Cone::Nonneg(mle + 2 * n)];
    p
}

#[test]
fn good_lp_and_clarabel_agree_on_random_lps() {
    let settings = SolverSettings::default();
    for seed in 1..=12 {
        let (n, meq, mle) = (3 + (seed as usize % 5), seed as usize % 3, 4 + (seed as usize % 7));
        let p = random_lp(seed, n, meq, mle);
        let lp = cnr_goodlp::solve(&p, &settings).unwrap();
        let cl = cnr_clarabel::solve(&p, &settings).unwrap();
        assert_eq!(lp.status, Status::Optimal, "seed {seed}");
        assert_eq!(cl.status, Status::Optimal, "seed {seed}");
        let (a, b) = (lp.objective, cl.objective);
        assert!((a - b).abs() <= 1e-6 * a.abs().max(b.abs()), "seed {seed}: good_lp {a}, Clarabel {b}");
        // good_lp's point is feasible: s = b − A x lies in the cones.
        assert!(lp.s[..meq].iter().all(|s| s.abs() < 1e-7), "seed {seed}: equality slack {:?}", &lp.s[..meq]);
        assert!(lp.s[meq..].iter().all(|&s| s > -1e-7), "seed {seed}: negative slack");
    }
}
