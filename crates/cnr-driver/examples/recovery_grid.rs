//! The planted recovery grid of the honest-results measurements: for each activation and each n/d,
//! 30 (or SEEDS) planted draws at d = 16, K = 8 non-overlapping patches, output weights 1, solved
//! with the default settings through the driver. Prints per cell the trials that ended optimal,
//! those recovered (optimal and recovery error below 1e-4), the other statuses, the largest
//! relative violation of a trial reported optimal, the retries, and for comparison the trials whose
//! first solver call alone ended optimal by the solver's own word (a single, unchecked solve).
//!
//! `cargo run --release -p cnr-driver --example recovery_grid [-- ACTIVATIONS RATIOS SEEDS]`, e.g.
//! `-- "relu;softplus" 4,8,12 10`; `bench/recovery_grid.sh` runs the whole grid.

use cnr_driver::{Limits, MethodChoice, Request, Status};
use std::collections::BTreeMap;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let activations =
        args.get(1).map_or("relu;leaky_relu(0.2);softplus;squared_relu;square;abs", String::as_str);
    let ratios: Vec<usize> = args
        .get(2)
        .map_or("1,2,3,4,6,8,12,16", String::as_str)
        .split(',')
        .map(|s| s.trim().parse().expect("n/d ratios are whole numbers"))
        .collect();
    let seeds: u64 = args.get(3).map_or(30, |s| s.parse().expect("a number of seeds"));
    let (mut total, mut optimal_total, mut single_total) = (0, 0, 0);
    println!("| activation | n/d | optimal | recovered | other statuses | max relative violation (optimal) | retries | one unchecked call optimal |");
    println!("|---|---:|---:|---:|---|---:|---:|---:|");
    for activation in activations.split(';') {
        // Even activations carry no direction in the data anchor: the spectral one.
        let even = matches!(activation, "abs" | "square")
            || activation.starts_with("power")
            || activation.starts_with("huber");
        let relax = if even { "relax { anchor spectral }" } else { "" };
        for &ratio in &ratios {
            let n = ratio * 16;
            let (mut optimal, mut recovered, mut retries, mut single) = (0, 0, 0, 0);
            let mut others: BTreeMap<&str, usize> = BTreeMap::new();
            let mut worst: f64 = 0.0;
            for seed in 1..=seeds {
                let text = format!(
                    "network {{ input 128 conv kernel 16 stride 16 activation {activation} output ones }}
                     data planted {{ samples {n} seed {seed} }}
                     {relax}"
                );
                let request = Request {
                    method: MethodChoice::Full,
                    limits: Limits { threads: Some(1), ..Limits::default() },
                    ..Request::new(&text, "grid")
                };
                let r = cnr_driver::solve(&request).unwrap_or_else(|e| panic!("{activation}: {e}")).record;
                retries += r.attempts.len() - 1;
                single += usize::from(r.attempts.first().is_some_and(|a| a.solver_status == Status::Optimal));
                total += 1;
                if r.status == Status::Optimal {
                    optimal += 1;
                    worst = worst.max(r.relative_violation.unwrap_or(0.0));
                    recovered += usize::from(r.recovered(1e-4) == Some(true));
                } else {
                    *others.entry(r.status.as_str()).or_default() += 1;
                }
            }
            optimal_total += optimal;
            single_total += single;
            let others: Vec<String> = others.iter().map(|(s, c)| format!("{c} {s}")).collect();
            println!(
                "| {activation} | {ratio} | {optimal}/{seeds} | {recovered} | {} | {worst:.1e} | {retries} | {single} |",
                others.join(", ")
            );
        }
    }
    let pct = |k: usize| 100.0 * k as f64 / total as f64;
    println!(
        "\n{optimal_total} of {total} trials optimal ({:.2}%); one unchecked call: {single_total} ({:.2}%)",
        pct(optimal_total),
        pct(single_total)
    );
}
