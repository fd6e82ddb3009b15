//! The bytes a model's program takes, from the network's shapes and the activation alone: what
//! the checker holds to the memory budget before any data are drawn or read.

use crate::activations;
use cnr_check::{Activation, Network, ProgramBytes, ProgramSize};

/// Lowering's answer to [`ProgramSize`]: per item (sample, filter, patch) the activation's cone
/// form on one symbolic `z` gives the columns, rows and non-zeros, with every `z` counted at its
/// longest (`d` filter coordinates and the bias).
///
/// A non-zero of `A` takes 16 bytes (value and row index), a column 16 (its start and its cost),
/// a row 8 (its right-hand side), and every one of them is counted twice: once in the program
/// lowering builds, once in the copy a backend makes of it. The list of units and their weights
/// take 24 bytes a unit.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProgramSizes;

/// Bytes of a non-zero, a column and a row, counted twice (the program and a backend's copy).
const NONZERO: u128 = 2 * 16;
const COLUMN: u128 = 2 * 16;
const ROW: u128 = 2 * 8;

/// The bytes of the program a [`Plan`](crate::Plan) counts, by the measure of [`ProgramSizes`].
pub fn plan_bytes(plan: &crate::Plan) -> u128 {
    let wide = |v: usize| v as u128;
    NONZERO * wide(plan.nonzeros) + COLUMN * wide(plan.variables) + ROW * wide(plan.rows)
}

impl ProgramSize for ProgramSizes {
    fn bytes(&self, network: &Network, activation: &Activation, units: usize) -> ProgramBytes {
        let template = activations::template(&activation.expr);
        let wide = |v: usize| v as u128;
        let d = wide(network.channels) * wide(network.kernel.0) * wide(network.kernel.1);
        let z_len = d + u128::from(network.bias);
        let z_len_small = usize::try_from(z_len).unwrap_or(usize::MAX);
        let (mut rows, mut entries) = (0u128, 0u128);
        for (group, _) in &template.groups {
            rows += wide(group.len());
            entries += group.iter().map(|r| wide(r.entries_at_most(z_len_small))).sum::<u128>();
        }
        let units = wide(units);
        let t_entries = wide(template.t.terms.len()) + if template.t.z.is_empty() { 0 } else { z_len };
        // One sample row (its entries over every unit's `t`, a slack), then its items.
        let nonzeros = 1 + u128::from(network.offset) + units * t_entries + units * entries;
        let columns = 1 + units * wide(template.width);
        let rows = 2 + units * rows;
        let per_sample = NONZERO * nonzeros + COLUMN * columns + ROW * rows;
        let filters = wide(network.filters) * (d + 1) + u128::from(network.offset);
        ProgramBytes { shared: COLUMN * filters + 24 * units, per_sample, nonzeros_per_sample: nonzeros }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The estimate bounds what lowering builds, and not by much.
    #[test]
    fn the_estimate_bounds_the_program() {
        let file = cnr_syntax::parse(
            "network { input 6 x 6 conv kernel 3 x 3 stride 1 padding 1 filters 2 bias activation softplus output ones }
             data planted { samples 5 seed 1 }",
        )
        .unwrap();
        let model =
            cnr_check::check(&file, "m", &cnr_check::MemoryFiles::default(), &Default::default()).unwrap();
        let units = model.network.filters * model.network.patches();
        let est = ProgramSizes.bytes(&model.network, &model.activation, units);
        let program = crate::lower(&model);
        let n = model.data.n as u128;
        let nnz = program.a.nnz() as u128;
        assert!(nnz <= n * est.nonzeros_per_sample, "{nnz} non-zeros, estimated {}", est.nonzeros_per_sample);
        assert!(
            2 * nnz > n * est.nonzeros_per_sample,
            "{nnz} non-zeros, estimated {}",
            est.nonzeros_per_sample
        );
        let cols = program.n as u128;
        assert!(cols * 16 < est.shared + n * est.per_sample);
    }
}
