//! The memory budget: the bytes a model's arrays, its data and its program will take, estimated
//! from the sizes alone, so that a model too large for the machine is refused by a diagnostic
//! before anything of that size is allocated.

use crate::{Activation, Network};

/// The budget when none is given and the machine's memory is unknown: 8 GiB. The driver's default
/// (`cnr_driver::default_memory_budget`) is half of the machine's memory; this is its fallback.
pub const DEFAULT_BYTES: u64 = 8 << 30;

/// The bytes of the program a model becomes, as lowering builds it: the part shared by all
/// samples and the part every sample adds, with the counts behind the latter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProgramBytes {
    /// Bytes that do not grow with the samples (the filter columns, the list of units).
    pub shared: u128,
    /// Bytes per sample.
    pub per_sample: u128,
    /// Non-zeros of `A` per sample (an upper bound).
    pub nonzeros_per_sample: u128,
}

/// What the checker asks about a model's program before it draws or reads the data: implemented
/// by lowering, which alone knows how large an activation's cone form is.
pub trait ProgramSize {
    /// The program's bytes for `network` and `activation` with `units` non-zero output weights.
    fn bytes(&self, network: &Network, activation: &Activation, units: usize) -> ProgramBytes;
}

/// How much of the program a command builds at once, which is what its budget counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProgramScope {
    /// Every sample's rows (`check`, `compile`, a full solve).
    #[default]
    Whole,
    /// The rows of a cutting-plane solve's first subset ([`first_subset`] samples); each later
    /// program is checked by the solve before it is built.
    FirstSubset,
    /// None (`eval`, `data`).
    None,
}

/// The samples a cutting-plane solve starts from: four per shared variable (`w` and `b`).
pub fn first_subset(net: &Network) -> usize {
    (4 * net.filters * (net.d() + usize::from(net.bias))).max(1)
}

/// The bytes a check may plan for, and who counts the program's.
#[derive(Clone, Copy)]
pub struct Budget<'a> {
    /// The most bytes the model's arrays, data and program may take together.
    pub bytes: u64,
    /// The program's size; `None` counts the model's arrays and data only.
    pub program: Option<&'a dyn ProgramSize>,
    /// How much of the program is built at once.
    pub scope: ProgramScope,
}

impl Default for Budget<'_> {
    fn default() -> Self {
        Budget { bytes: DEFAULT_BYTES, program: None, scope: ProgramScope::Whole }
    }
}

impl std::fmt::Debug for Budget<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Budget")
            .field("bytes", &self.bytes)
            .field("program", &self.program.is_some())
            .field("scope", &self.scope)
            .finish()
    }
}

/// The bytes of the network's own arrays, which exist whatever the data: the patch map while it
/// is built (4 bytes per patch coordinate) and the taps it becomes (16 bytes each, at most one per
/// coordinate, and 24 per patch), the output weights (8 per unit) and planted filters (8 per
/// filter coordinate). Taken in 128 bits, so that no product overflows.
pub fn network_bytes(net: &Network) -> u128 {
    let w = |v: usize| v as u128;
    let (k, d, m) = (wide_patches(net), w(net.channels) * w(net.kernel.0) * w(net.kernel.1), w(net.filters));
    20 * k * d + 24 * k + 8 * m * k + 8 * m * (d + 1)
}

/// The bytes one sample's data take: its inputs and its label.
pub fn sample_bytes(net: &Network) -> u128 {
    8 * input_numbers(net) + 8
}

/// `C·H·W` in 128 bits.
pub(crate) fn input_numbers(net: &Network) -> u128 {
    (net.channels as u128) * (net.height as u128) * (net.width as u128)
}

/// Patches `K` in 128 bits.
pub(crate) fn wide_patches(net: &Network) -> u128 {
    let w = |v: usize| v as u128;
    let rows = (w(net.height) + 2 * w(net.padding.0) - w(net.kernel.0)) / w(net.stride.0) + 1;
    let cols = (w(net.width) + 2 * w(net.padding.1) - w(net.kernel.1)) / w(net.stride.1) + 1;
    rows * cols
}

/// A number of bytes as people read it: `512 B`, `3.2 MiB`, `17.2 GiB`.
pub fn bytes_text(b: u128) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if b < 1024 {
        return format!("{b} B");
    }
    let mut v = b as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if v >= 1024.0 {
        return format!("{v:.1e} {}", UNITS[unit]);
    }
    format!("{v:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_as_people_write_them() {
        assert_eq!(bytes_text(512), "512 B");
        assert_eq!(bytes_text(3 << 20), "3.0 MiB");
        assert_eq!(bytes_text(17_179_869_184 + (1 << 29)), "16.5 GiB");
        assert_eq!(bytes_text(u128::MAX), "3.0e20 EiB");
    }
}
