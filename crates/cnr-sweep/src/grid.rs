//! The grid of a sweep: its axes, their product (the cells), the trials of each cell, and the
//! split of the trials into shards.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A list, range or value of a sweep's axis or setting that does not read: what is wrong, in
/// words that quote it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ListError(pub String);

impl From<String> for ListError {
    fn from(message: String) -> ListError {
        ListError(message)
    }
}

impl From<&str> for ListError {
    fn from(message: &str) -> ListError {
        ListError(message.to_string())
    }
}

/// A [`ListError`] said with `format!`.
macro_rules! list_error {
    ($($t:tt)*) => { $crate::grid::ListError(format!($($t)*)) };
}
pub(crate) use list_error;

/// One axis of the grid: a quantity and the values it takes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "axis", rename_all = "snake_case")]
pub enum Axis {
    /// `--samples 8,16,32`: absolute sample counts.
    Samples {
        /// The counts.
        values: Vec<u64>,
    },
    /// `--ratio 0.5:8:0.5`: sample counts as multiples of the model's filter size `d`.
    Ratio {
        /// The multiples.
        values: Vec<f64>,
    },
    /// `--param d=8,16`: a parameter of the model.
    Param {
        /// The parameter's name.
        name: String,
        /// Its values.
        values: Vec<f64>,
    },
    /// `--activation relu,softplus`: the activation, as it would be written in the model.
    Activation {
        /// The activations.
        values: Vec<String>,
    },
    /// `--noise 0,0.1`: the planted labels' noise.
    Noise {
        /// The noise levels.
        values: Vec<f64>,
    },
    /// `--anchor data,lstsq`: the relaxation's anchor, as it would be written in the model.
    Anchor {
        /// The anchors.
        values: Vec<String>,
    },
    /// `--restarts 1,2,4`: how many anchors each trial's relaxation is solved from.
    Restarts {
        /// The counts.
        values: Vec<u64>,
    },
    /// `--refine 0,4`: how many times at most each solve is repeated from the filter it found.
    Refine {
        /// The counts.
        values: Vec<u64>,
    },
}

impl Axis {
    /// The column this axis has in `results.csv`.
    pub fn column(&self) -> String {
        match self {
            Axis::Samples { .. } => "samples".into(),
            Axis::Ratio { .. } => "ratio".into(),
            Axis::Param { name, .. } => name.clone(),
            Axis::Activation { .. } => "activation".into(),
            Axis::Noise { .. } => "noise".into(),
            Axis::Anchor { .. } => "anchor".into(),
            Axis::Restarts { .. } => "restarts".into(),
            Axis::Refine { .. } => "refine".into(),
        }
    }

    /// How many values it takes.
    pub fn len(&self) -> usize {
        match self {
            Axis::Samples { values } | Axis::Restarts { values } | Axis::Refine { values } => values.len(),
            Axis::Ratio { values } | Axis::Noise { values } | Axis::Param { values, .. } => values.len(),
            Axis::Activation { values } | Axis::Anchor { values } => values.len(),
        }
    }

    /// Its values that are numbers (all of a numeric axis's, in order).
    pub fn numbers(&self) -> Vec<f64> {
        (0..self.len()).filter_map(|k| self.value(k).number()).collect()
    }

    /// Whether it takes no value (never, for a parsed axis).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Its `k`-th value.
    pub fn value(&self, k: usize) -> Value {
        match self {
            Axis::Samples { values } | Axis::Restarts { values } | Axis::Refine { values } => {
                Value::Count(values[k])
            }
            Axis::Ratio { values } | Axis::Noise { values } | Axis::Param { values, .. } => {
                Value::Number(values[k])
            }
            Axis::Activation { values } | Axis::Anchor { values } => Value::Text(values[k].clone()),
        }
    }

    /// Whether its values are numbers (a plot's axis) rather than names (a plot's series).
    pub fn is_numeric(&self) -> bool {
        !matches!(self, Axis::Activation { .. } | Axis::Anchor { .. })
    }

    /// The model statement each of its values sets, for the axes that set one (`network.activation`,
    /// `relax.anchor`, `relax.restarts`, `relax.refine`).
    pub fn statement(&self) -> Option<&'static str> {
        match self {
            Axis::Activation { .. } => Some("network.activation"),
            Axis::Anchor { .. } => Some("relax.anchor"),
            Axis::Restarts { .. } => Some("relax.restarts"),
            Axis::Refine { .. } => Some("relax.refine"),
            _ => None,
        }
    }
}

/// A value of an axis.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A count (samples).
    Count(u64),
    /// A number.
    Number(f64),
    /// A name (an activation).
    Text(String),
}

impl Value {
    /// The value as a number, for plots (a name has none).
    pub fn number(&self) -> Option<f64> {
        match self {
            Value::Count(n) => Some(*n as f64),
            Value::Number(x) => Some(*x),
            Value::Text(_) => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Count(n) => write!(f, "{n}"),
            Value::Number(x) => write!(f, "{x}"),
            Value::Text(t) => f.write_str(t),
        }
    }
}

/// The grid: the product of its axes, the first axis varying slowest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    /// The axes, in the order given.
    pub axes: Vec<Axis>,
}

impl Grid {
    /// The number of cells.
    pub fn cells(&self) -> usize {
        self.axes.iter().map(Axis::len).product()
    }

    /// The number of cells, or `None` when it overflows a machine word.
    pub fn checked_cells(&self) -> Option<usize> {
        self.axes.iter().try_fold(1usize, |n, a| n.checked_mul(a.len()))
    }

    /// The value index of each axis in cell `c`.
    pub fn coordinates(&self, mut c: usize) -> Vec<usize> {
        let mut out = vec![0; self.axes.len()];
        for (k, axis) in self.axes.iter().enumerate().rev() {
            out[k] = c % axis.len();
            c /= axis.len();
        }
        out
    }

    /// The values of cell `c`, one per axis.
    pub fn values(&self, c: usize) -> Vec<Value> {
        self.coordinates(c).iter().zip(&self.axes).map(|(&k, a)| a.value(k)).collect()
    }
}

/// `--shard I/N`: the I-th of N disjoint parts of the grid's trials (0-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Which part.
    pub index: usize,
    /// How many parts.
    pub count: usize,
}

impl Shard {
    /// The whole grid.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Whether trial `unit` (numbered cell by cell, trial by trial) is this shard's: units are dealt
    /// round-robin, so every shard gets a like share of every part of the grid.
    pub fn owns(&self, unit: usize) -> bool {
        unit % self.count == self.index
    }

    /// Parses `I/N` with `0 ≤ I < N`.
    pub fn parse(text: &str) -> Result<Shard, ListError> {
        let err = || format!("`{text}` is not a shard: write I/N with 0 ≤ I < N, e.g. 0/4");
        let (i, n) = text.split_once('/').ok_or_else(err)?;
        let (index, count): (usize, usize) =
            (i.trim().parse().map_err(|_| err())?, n.trim().parse().map_err(|_| err())?);
        if count == 0 || index >= count {
            return Err(err().into());
        }
        Ok(Shard { index, count })
    }
}

/// Splits a list at commas that are not inside parentheses (`leaky_relu(0.2),max_affine((0,0),(1,0))`).
pub fn split_list(text: &str) -> Vec<String> {
    let (mut out, mut depth, mut current) = (Vec::new(), 0i32, String::new());
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(current.trim().to_string());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    out.push(current.trim().to_string());
    out
}

/// The most values one axis may have: a grid is for a figure, not for a search.
pub const MAX_VALUES: usize = 10_000;

/// Parses numbers: a list `0.5,1,2`, ranges `START:STOP:STEP` (both ends included when the steps
/// reach them), or both (`1,2,4:12:4`).
pub fn parse_numbers(text: &str) -> Result<Vec<f64>, ListError> {
    let mut out = Vec::new();
    for part in split_list(text) {
        if part.is_empty() {
            return Err(list_error!("`{text}` has an empty entry"));
        }
        let number = |s: &str| -> Result<f64, ListError> {
            s.trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| list_error!("`{s}` is not a number"))
        };
        let pieces: Vec<&str> = part.split(':').collect();
        match pieces.as_slice() {
            [x] => out.push(number(x)?),
            [start, stop, step] => {
                let (start, stop, step) = (number(start)?, number(stop)?, number(step)?);
                if step <= 0.0 || stop < start {
                    return Err(list_error!("the range `{part}` needs START ≤ STOP and a STEP > 0"));
                }
                let count = ((stop - start) / step + 1e-9).floor() as usize + 1;
                if out.len() + count > MAX_VALUES {
                    return Err(list_error!("`{text}` has more than {MAX_VALUES} values"));
                }
                // Each value from its index, so that rounding does not drift along the range.
                out.extend((0..count).map(|k| round_decimal(start + k as f64 * step)));
            }
            _ => return Err(list_error!("`{part}` is neither a number nor a range START:STOP:STEP")),
        }
        if out.len() > MAX_VALUES {
            return Err(list_error!("`{text}` has more than {MAX_VALUES} values"));
        }
    }
    let mut seen = Vec::new();
    for x in &out {
        if seen.contains(x) {
            return Err(list_error!("`{text}` names {x} twice"));
        }
        seen.push(*x);
    }
    Ok(out)
}

/// `0.1 + 2·0.1` is `0.30000000000000004`; a grid's values are meant as written, so round away the
/// last bits (to 12 significant digits).
fn round_decimal(x: f64) -> f64 {
    format!("{x:.12e}").parse().unwrap_or(x)
}

/// Parses sample counts: whole numbers ≥ 1 (lists and ranges as [`parse_numbers`]).
pub fn parse_counts(text: &str) -> Result<Vec<u64>, ListError> {
    parse_whole(text, 1, "a sample count (a whole number from 1 to 4294967295, as `samples` takes)")
}

/// A list of whole numbers from `min` to 4294967295 (`what` names one in the error); the model's
/// checker holds each to its statement's own range when a cell compiles.
pub fn parse_whole(text: &str, min: u64, what: &str) -> Result<Vec<u64>, ListError> {
    parse_numbers(text)?
        .into_iter()
        .map(|x| {
            if x >= min as f64 && x.fract() == 0.0 && x <= u32::MAX as f64 {
                Ok(x as u64)
            } else {
                Err(list_error!("{x} is not {what}"))
            }
        })
        .collect()
}

/// The number of samples for a ratio `n/d`: the nearest whole number, at least 1.
pub fn samples_for_ratio(ratio: f64, d: usize) -> u64 {
    (ratio * d as f64).round().max(1.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_include_their_end_and_do_not_drift() {
        assert_eq!(parse_numbers("0.5:2:0.5").unwrap(), [0.5, 1.0, 1.5, 2.0]);
        assert_eq!(parse_numbers("0.1:0.3:0.1").unwrap(), [0.1, 0.2, 0.3]);
        assert_eq!(parse_numbers("1,2,4:12:4").unwrap(), [1.0, 2.0, 4.0, 8.0, 12.0]);
        assert_eq!(parse_numbers("0:1:0.3").unwrap(), [0.0, 0.3, 0.6, 0.9]);
        assert!(parse_numbers("1:0:1").is_err());
        assert!(parse_numbers("1:2:0").is_err());
        assert!(parse_numbers("1,,2").is_err());
        assert!(parse_numbers("1,1").unwrap_err().0.contains("twice"));
        assert!(parse_numbers("0:1e9:1").unwrap_err().0.contains("more than"));
        assert!(parse_counts("8,16.5").is_err());
        assert_eq!(parse_counts("8:32:8").unwrap(), [8, 16, 24, 32]);
    }

    #[test]
    fn lists_split_outside_parentheses() {
        assert_eq!(
            split_list("relu, leaky_relu(0.2),max_affine((0, 0), (1, 0))"),
            ["relu", "leaky_relu(0.2)", "max_affine((0, 0), (1, 0))"]
        );
    }

    #[test]
    fn cells_enumerate_the_product_with_the_first_axis_slowest() {
        let grid = Grid {
            axes: vec![
                Axis::Param { name: "d".into(), values: vec![8.0, 16.0] },
                Axis::Ratio { values: vec![0.5, 1.0, 2.0] },
            ],
        };
        assert_eq!(grid.cells(), 6);
        let all: Vec<Vec<usize>> = (0..6).map(|c| grid.coordinates(c)).collect();
        assert_eq!(all, [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]);
        assert_eq!(grid.values(4), [Value::Number(16.0), Value::Number(1.0)]);
    }

    #[test]
    fn shards_are_disjoint_and_cover_everything() {
        let shards: Vec<Shard> = (0..4).map(|i| Shard { index: i, count: 4 }).collect();
        for unit in 0..103 {
            assert_eq!(shards.iter().filter(|s| s.owns(unit)).count(), 1);
        }
        assert_eq!(Shard::parse("3/4").unwrap(), Shard { index: 3, count: 4 });
        for bad in ["4/4", "1", "a/2", "0/0", "-1/2"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }
}
