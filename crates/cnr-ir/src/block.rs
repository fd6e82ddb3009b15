use serde::{Deserialize, Serialize};

/// One axis of a block's index, e.g. `sample` of size `n`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    /// What the axis counts: `sample`, `filter`, `patch`, `coordinate`, …
    pub name: String,
    /// How many values the axis takes.
    pub size: usize,
}

/// A named, contiguous block of columns or rows.
///
/// A block is a dense array of *items* indexed by `index` (row-major: the last axis varies fastest),
/// each item taking `width` consecutive columns or rows. For example the relu epigraph rows of a model
/// with `n` samples, one filter and `K` patches are one block named `relu: t ≥ z, t ≥ 0` with index
/// `[sample n, filter 1, patch K]` and width 2. Blocks keep provenance compact: a program with millions
/// of rows still has a handful of blocks, and any row can be traced back to its model element with
/// [`Block::describe`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// The block's name, in the model's language (`w`, `t`, `relu: t ≥ z`, …).
    pub name: String,
    /// The first column or row of the block.
    pub start: usize,
    /// The axes of the block's items; empty for a single item.
    pub index: Vec<Index>,
    /// Columns or rows per item (at least 1).
    pub width: usize,
}

impl Block {
    /// A block of `len` items indexed by one axis named `axis`, one column or row each.
    pub fn vector(name: impl Into<String>, start: usize, axis: &str, len: usize) -> Self {
        Block { name: name.into(), start, index: vec![Index { name: axis.into(), size: len }], width: 1 }
    }

    /// A block with several axes; `axes` lists `(name, size)` outermost first.
    pub fn array(name: impl Into<String>, start: usize, axes: &[(&str, usize)], width: usize) -> Self {
        Block {
            name: name.into(),
            start,
            index: axes.iter().map(|&(n, s)| Index { name: n.into(), size: s }).collect(),
            width,
        }
    }

    /// Number of items: the product of the index sizes (1 for no axes).
    ///
    /// The arithmetic saturates at `usize::MAX` instead of overflowing, so that a hostile file read
    /// into a block gives a validation error rather than a panic.
    pub fn items(&self) -> usize {
        self.index.iter().fold(1usize, |acc, i| acc.saturating_mul(i.size))
    }

    /// Number of columns or rows the block covers (saturating, like [`Block::items`]).
    pub fn len(&self) -> usize {
        self.items().saturating_mul(self.width)
    }

    /// Whether the block covers nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// One past the last column or row of the block.
    pub fn end(&self) -> usize {
        self.start.saturating_add(self.len())
    }

    /// The index values (one per axis) and the offset inside the item of position `pos` of the block.
    ///
    /// A block of width 0 (which does not validate) is treated as width 1 rather than dividing by zero.
    pub fn unravel(&self, pos: usize) -> (Vec<usize>, usize) {
        let width = self.width.max(1);
        let mut item = pos / width;
        let offset = pos % width;
        let mut values = vec![0; self.index.len()];
        for (k, axis) in self.index.iter().enumerate().rev() {
            values[k] = item % axis.size.max(1);
            item /= axis.size.max(1);
        }
        (values, offset)
    }

    /// Describes position `pos` of the block in the model's words, e.g.
    /// `relu: t ≥ z [sample 3, filter 0, patch 5] row 1 of 2`.
    pub fn describe(&self, pos: usize) -> String {
        let (values, offset) = self.unravel(pos);
        let mut s = self.name.clone();
        if !values.is_empty() {
            let parts: Vec<String> =
                self.index.iter().zip(&values).map(|(a, v)| format!("{} {}", a.name, v)).collect();
            s.push_str(&format!(" [{}]", parts.join(", ")));
        }
        if self.width > 1 {
            s.push_str(&format!(" entry {} of {}", offset, self.width));
        }
        s
    }
}

/// Finds the block holding position `pos` in a list of blocks sorted by `start`.
pub(crate) fn locate(blocks: &[Block], pos: usize) -> Option<(&Block, usize)> {
    let k = blocks.partition_point(|b| b.start <= pos);
    let block = blocks.get(k.checked_sub(1)?)?;
    (pos < block.end()).then(|| (block, pos - block.start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unravel_is_row_major() {
        let b = Block::array("r", 10, &[("sample", 3), ("patch", 4)], 2);
        assert_eq!(b.len(), 24);
        assert_eq!(b.unravel(0), (vec![0, 0], 0));
        assert_eq!(b.unravel(3), (vec![0, 1], 1));
        assert_eq!(b.unravel(9), (vec![1, 0], 1));
        assert_eq!(b.describe(23), "r [sample 2, patch 3] entry 1 of 2");
    }

    #[test]
    fn locate_finds_the_right_block() {
        let blocks = vec![Block::vector("w", 0, "coordinate", 4), Block::vector("t", 4, "sample", 2)];
        assert_eq!(locate(&blocks, 3).map(|(b, p)| (b.name.as_str(), p)), Some(("w", 3)));
        assert_eq!(locate(&blocks, 5).map(|(b, p)| (b.name.as_str(), p)), Some(("t", 1)));
        assert!(locate(&blocks, 6).is_none());
    }
}
