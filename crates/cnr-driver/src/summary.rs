//! What `check` says of a model: its sizes, its program's size and its warnings, as one value
//! that every caller (the Python package's `check`, JSON output) serialises alike.

use crate::Compiled;
use serde::Serialize;

/// A compiled model in numbers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// The model's name.
    pub name: String,
    /// Filters `M`.
    pub filters: usize,
    /// Filter size `d`.
    pub filter_size: usize,
    /// Patches `K`.
    pub patches: usize,
    /// The convolution's shapes (what a `Conv1d`/`Conv2d` layer needs): channels `C`, the input
    /// `(H, W)` (`H = 1` for a 1-D input), the kernel, stride and padding as `(rows, columns)`, and
    /// whether the filters have a bias.
    pub channels: usize,
    /// The input `(H, W)`.
    pub input: (usize, usize),
    /// The kernel `(kh, kw)`.
    pub kernel: (usize, usize),
    /// The stride.
    pub stride: (usize, usize),
    /// The zero padding on each side.
    pub padding: (usize, usize),
    /// Whether each filter has a bias.
    pub bias: bool,
    /// Whether the output weights are learned (`output learned`).
    pub learned: bool,
    /// Samples `n`.
    pub samples: usize,
    /// Columns of the whole program.
    pub variables: usize,
    /// Rows of the whole program.
    pub rows: usize,
    /// Non-zeros of the whole program.
    pub nonzeros: usize,
    /// The objective's anchor, by name.
    pub anchor: String,
    /// The warnings' messages.
    pub warnings: Vec<String>,
    /// The warnings rendered with their source lines.
    pub warnings_rendered: String,
}

impl Compiled {
    /// The model's [`Summary`].
    pub fn summary(&self) -> Summary {
        let (model, plan) = (&self.model, &self.plan);
        Summary {
            name: model.name.clone(),
            filters: model.network.filters,
            filter_size: model.network.d(),
            patches: model.network.patches(),
            channels: model.network.channels,
            input: (model.network.height, model.network.width),
            kernel: model.network.kernel,
            stride: model.network.stride,
            padding: model.network.padding,
            bias: model.network.bias,
            learned: model.learn.is_some(),
            samples: model.data.n,
            variables: plan.variables,
            rows: plan.rows,
            nonzeros: plan.nonzeros,
            anchor: model.relax.anchor_name(),
            warnings: self.warnings.iter().map(|d| d.message.clone()).collect(),
            warnings_rendered: self.render_warnings(),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_summary_counts_the_model_and_its_program() {
        let text = "network { input 8 conv kernel 4 stride 2 activation relu output ones } data planted { samples 24 seed 1 }";
        let compiled = crate::compile(&crate::Request::new(text, "tiny")).unwrap();
        let s = compiled.summary();
        assert_eq!((s.filters, s.filter_size, s.patches, s.samples), (1, 4, 3, 24));
        assert_eq!((s.variables, s.rows), (compiled.plan.variables, compiled.plan.rows));
        assert!(s.warnings.is_empty() && s.warnings_rendered.is_empty());
    }
}
