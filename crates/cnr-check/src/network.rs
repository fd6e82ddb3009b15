//! The convolution's shapes and the map from patches to input entries.

/// The convolution's shapes (docs/relaxation.md, "The network"): input `C × H × W`, kernel `kh × kw`, stride, zero
/// padding and `M` filters. A 1-D input has `H = 1`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Network {
    /// Channels `C`.
    pub channels: usize,
    /// Height `H` (1 for a 1-D signal).
    pub height: usize,
    /// Width `W` (the length of a 1-D signal).
    pub width: usize,
    /// Kernel `(kh, kw)`.
    pub kernel: (usize, usize),
    /// Stride `(sh, sw)`.
    pub stride: (usize, usize),
    /// Zero padding `(ph, pw)` on each side.
    pub padding: (usize, usize),
    /// Number of filters `M`.
    pub filters: usize,
    /// Whether each filter has a bias `b_m`.
    pub bias: bool,
    /// Whether the output has a learned offset `c` (`output … + offset`):
    /// `f(x) = Σ u σ(·) + c`.
    pub offset: bool,
}

/// Marks a filter coordinate that falls on padding in [`Network::patch_map`].
pub const PADDING: u32 = u32::MAX;

impl Network {
    /// How many numbers follow the filters in a point: the biases (`M` with `bias`), then the
    /// offset (one with `+ offset`). Every `b` slice of the model's evaluation holds these.
    pub fn extras(&self) -> usize {
        (if self.bias { self.filters } else { 0 }) + usize::from(self.offset)
    }

    /// The biases and the offset of `extras` (the numbers after the filters, [`Network::extras`]):
    /// the first `M` with `bias` (fewer if `extras` is short), then the one after them with an
    /// offset (none if it is missing).
    pub fn split_extras<'e>(&self, extras: &'e [f64]) -> (&'e [f64], Option<f64>) {
        let biases = if self.bias { self.filters.min(extras.len()) } else { 0 };
        let offset = if self.offset { extras.get(biases).copied() } else { None };
        (&extras[..biases], offset)
    }

    /// Filter size `d = C·kh·kw`.
    pub fn d(&self) -> usize {
        self.channels * self.kernel.0 * self.kernel.1
    }

    /// Input size `C·H·W`.
    pub fn input_len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// Patch positions `(rows, columns)`.
    pub fn patch_grid(&self) -> (usize, usize) {
        let rows = (self.height + 2 * self.padding.0 - self.kernel.0) / self.stride.0 + 1;
        let cols = (self.width + 2 * self.padding.1 - self.kernel.1) / self.stride.1 + 1;
        (rows, cols)
    }

    /// Number of patches `K`.
    pub fn patches(&self) -> usize {
        let (r, c) = self.patch_grid();
        r * c
    }

    /// For patch `k` and filter coordinate `j`, entry `k·d + j` is the index into the flattened input
    /// (`C × H × W`, row-major) that `w_j` multiplies, or [`PADDING`].
    ///
    /// Patches are numbered row-major over their grid positions; inside a patch, coordinates are
    /// flattened channel first, then kernel row, then kernel column: `j = c·kh·kw + r·kw + s`.
    pub fn patch_map(&self) -> Vec<u32> {
        let (rows, cols) = self.patch_grid();
        let (kh, kw) = self.kernel;
        let mut map = Vec::with_capacity(rows * cols * self.d());
        for pr in 0..rows {
            for pc in 0..cols {
                for c in 0..self.channels {
                    for r in 0..kh {
                        for s in 0..kw {
                            let y = (pr * self.stride.0 + r) as isize - self.padding.0 as isize;
                            let x = (pc * self.stride.1 + s) as isize - self.padding.1 as isize;
                            let inside =
                                y >= 0 && x >= 0 && (y as usize) < self.height && (x as usize) < self.width;
                            map.push(if inside {
                                ((c * self.height + y as usize) * self.width + x as usize) as u32
                            } else {
                                PADDING
                            });
                        }
                    }
                }
            }
        }
        map
    }

    /// The taps of every patch, worked out once (see [`Patches`]).
    pub fn taps(&self) -> Patches {
        let d = self.d();
        let map = self.patch_map();
        let taps = (0..self.patches())
            .map(|k| {
                let patch = map[k * d..(k + 1) * d].iter().enumerate();
                patch.filter(|&(_, &src)| src != PADDING).map(|(j, &src)| (j, src as usize)).collect()
            })
            .collect();
        Patches { d, taps }
    }

    /// The input's size as the language writes it, without the channels: `128`, `28 x 28`.
    pub fn input_shape(&self) -> String {
        if self.height == 1 {
            format!("{}", self.width)
        } else {
            format!("{} x {}", self.height, self.width)
        }
    }
}

/// The one patch geometry that evaluation, the anchor and lowering share: for every patch `k`, the
/// filter coordinates `j` that fall inside the input and the input entries they multiply, in
/// increasing `j` (coordinates on the padding multiply 0 and are left out).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Patches {
    d: usize,
    taps: Vec<Vec<(usize, usize)>>,
}

impl Patches {
    /// The `(j, input index)` pairs of patch `k`.
    pub fn of(&self, k: usize) -> &[(usize, usize)] {
        &self.taps[k]
    }

    /// Writes patch `k` of input `x` into `out` (`d` numbers, zeros on the padding).
    pub fn gather(&self, k: usize, x: &[f64], out: &mut [f64]) {
        out[..self.d].iter_mut().for_each(|v| *v = 0.0);
        for &(j, src) in &self.taps[k] {
            out[j] = x[src];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(h: usize, w: usize, k: (usize, usize), s: (usize, usize), p: (usize, usize)) -> Network {
        Network {
            channels: 1,
            height: h,
            width: w,
            kernel: k,
            stride: s,
            padding: p,
            filters: 1,
            bias: false,
            offset: false,
        }
    }

    #[test]
    fn one_d_non_overlapping() {
        let n = net(1, 8, (1, 4), (1, 4), (0, 0));
        assert_eq!((n.d(), n.patches()), (4, 2));
        assert_eq!(n.patch_map(), vec![0, 1, 2, 3, 4, 5, 6, 7]);
    }

    #[test]
    fn two_d_with_padding() {
        let n = net(2, 2, (2, 2), (1, 1), (1, 1));
        assert_eq!(n.patches(), 9);
        let map = n.patch_map();
        // The first patch sits at (-1, -1): only its bottom-right coordinate is inside, at (0, 0).
        assert_eq!(&map[0..4], &[PADDING, PADDING, PADDING, 0]);
        // The centre patch covers the whole image.
        assert_eq!(&map[16..20], &[0, 1, 2, 3]);
    }
}
