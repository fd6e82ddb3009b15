//! The memory budget, applied where the sizes are known: the network's own arrays once its shapes
//! are, then its data and program once the number of samples is, before any of them is allocated.

use super::Cx;
use crate::budget::{
    bytes_text, first_subset, input_numbers, network_bytes, sample_bytes, wide_patches, ProgramBytes,
    ProgramScope,
};
use crate::{Activation, Network};
use cnr_syntax::{Diagnostic, Span};

/// What the data check needs to know about the network besides its shapes: the activation (for
/// the program's size), the non-zero output weights, and where the convolution is written.
#[derive(Clone, Copy)]
pub(super) struct Sizing<'a> {
    pub activation: Option<&'a Activation>,
    pub units: usize,
    pub conv: Span,
}

/// The most numbers an input may hold: patch maps index it with 32 bits.
const MAX_INPUT: u128 = u32::MAX as u128 - 1;

impl Cx<'_> {
    /// Rejects a network whose input cannot be indexed, or whose own arrays (the patch map, its
    /// taps, the output weights, the planted filters) exceed the memory budget.
    pub(super) fn network_fits(&mut self, net: &Network, in_span: Span, conv_span: Span) -> Option<()> {
        let input = input_numbers(net);
        if input > MAX_INPUT {
            self.push(
                Diagnostic::error(in_span, format!("the input holds C·H·W = {input} numbers, more than the 2^32 − 1 a patch index can address"))
                    .with_label("too large")
                    .with_hint("use a smaller input, or fewer channels"),
            );
            return None;
        }
        let need = network_bytes(net);
        let budget = u128::from(self.budget.bytes);
        if need <= budget {
            return Some(());
        }
        let k = wide_patches(net);
        let d = (net.channels as u128) * (net.kernel.0 as u128) * (net.kernel.1 as u128);
        let m = net.filters as u128;
        let diag = Diagnostic::error(
                conv_span,
                format!(
                    "the network needs about {} of memory before any data, more than the budget of {}",
                    bytes_text(need),
                    bytes_text(budget)
                ),
            )
            .with_label("too large")
            .with_hint(format!(
                "K = {k} patches of d = {d} numbers make the patch map ({} for K·d = {}); M = {m} filters over K patches make the output weights ({} for M·K = {})",
                bytes_text(20 * k * d + 24 * k),
                k * d,
                bytes_text(8 * m * k),
                m * k
            ))
            .with_hint("use a larger stride, a smaller kernel or fewer filters, or raise the budget with --max-memory");
        self.push(with_padding_hint(diag, net));
        None
    }

    /// Rejects `n` samples whose data and program, with the network's arrays, exceed the budget:
    /// at the convolution when a single sample is too many, else at `samples_span` with the number
    /// of samples that fit.
    pub(super) fn samples_fit(
        &mut self,
        net: &Network,
        sizing: Sizing,
        n: usize,
        samples_span: Span,
    ) -> Option<()> {
        let program = match (self.budget.program, sizing.activation) {
            (Some(p), Some(a)) => p.bytes(net, a, sizing.units),
            _ => Default::default(),
        };
        // The samples whose program is built at once: all of them, or a cutting-plane solve's first subset.
        let built = match self.budget.scope {
            ProgramScope::Whole => n,
            ProgramScope::FirstSubset => n.min(first_subset(net)),
            ProgramScope::None => 0,
        } as u128;
        let program = if built == 0 { ProgramBytes::default() } else { program };
        let fixed = network_bytes(net) + program.shared;
        let per_sample = sample_bytes(net) + program.per_sample;
        let need = fixed + sample_bytes(net) * n as u128 + program.per_sample * built;
        let budget = u128::from(self.budget.bytes);
        if need <= budget {
            return Some(());
        }
        let data = format!(
            "{} of data: C·H·W = {} inputs and a label",
            bytes_text(sample_bytes(net)),
            input_numbers(net)
        );
        let why = if built == 0 {
            format!("a sample takes {data}")
        } else {
            format!(
                "a sample takes {} ({data}; {} of program: {} units of the activation, about {} non-zeros)",
                bytes_text(per_sample),
                bytes_text(program.per_sample),
                sizing.units,
                program.nonzeros_per_sample
            )
        };
        let left = budget.saturating_sub(fixed);
        let fit = match left / per_sample.max(1) {
            // Past the samples whose program is built, a sample adds only its data.
            fit if fit > built => left.saturating_sub(program.per_sample * built) / sample_bytes(net).max(1),
            fit => fit,
        };
        let (span, hint) = if fit == 0 {
            (sizing.conv, "not even one sample fits: use a larger stride, a smaller kernel or fewer filters, or raise the budget with --max-memory".to_string())
        } else {
            // Whether a solve by cutting planes, which builds the first subset's program, would fit.
            let subset = n.min(first_subset(net)) as u128;
            let subset_fits = fixed + sample_bytes(net) * n as u128 + program.per_sample * subset <= budget;
            let parts = if self.budget.scope == ProgramScope::Whole && subset_fits {
                "; `cnr solve` by cutting planes, which builds programs of subsets of the samples, fits"
            } else {
                ""
            };
            (samples_span, format!("at most {fit} samples fit in the budget (pass --samples {fit}), or raise it with --max-memory{parts}"))
        };
        let d = Diagnostic::error(
            span,
            format!(
                "{n} samples need about {} of memory{}, more than the budget of {}",
                bytes_text(need),
                match built {
                    0 => " for their data".to_string(),
                    b if b < n as u128 => format!(" for their data and the program of the first {b}"),
                    _ => String::new(),
                },
                bytes_text(budget)
            ),
        )
        .with_label("too large for the memory budget")
        .with_hint(why);
        self.push(with_padding_hint(d, net).with_hint(hint));
        None
    }
}

/// Adds to `d`, when the padding is as wide as the kernel, that some patches see only padding.
fn with_padding_hint(d: Diagnostic, net: &Network) -> Diagnostic {
    let (ph, pw) = net.padding;
    if (ph >= net.kernel.0 && ph > 0) || (pw >= net.kernel.1 && pw > 0) {
        d.with_hint("the padding is as wide as the kernel, so some patches see only zeros and add units that fit nothing: reduce the padding")
    } else {
        d
    }
}
