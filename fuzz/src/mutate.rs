//! The mutations: byte flips, inserts and deletes, splices of corpus pieces, repeats of a
//! substring, and tokens (keywords, large and odd numbers) dropped in at a random place.

/// SplitMix64: a small, fixed generator, so that input `i` of seed `s` is always the same.
pub struct Rng(u64);

impl Rng {
    /// The generator of execution `index` of run `seed`.
    pub fn for_exec(seed: u64, index: u64) -> Self {
        let mut r = Rng(seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        r.next();
        r
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Tokens worth dropping into a model: keywords, punctuation and numbers at the edges of what the
/// checker takes.
const MODEL_TOKENS: &[&str] = &[
    "network",
    "data",
    "planted",
    "files",
    "relax",
    "solver",
    "model",
    "input",
    "conv",
    "kernel",
    "stride",
    "padding",
    "filters",
    "bias",
    "activation",
    "output",
    "samples",
    "seed",
    "noise",
    "filter",
    "anchor",
    "penalty",
    "bound",
    "backend",
    "tolerance",
    "max_iter",
    "time_limit",
    "relu",
    "abs",
    "softplus",
    "exp",
    "log",
    "power",
    "max",
    "min",
    "f(z) =",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    "x",
    "*",
    "+",
    "-",
    "/",
    "z",
    "\"x.npy\"",
    "ones",
    "mean",
    "random",
    "spectral",
    "l1",
    "l2",
    "linf",
    "0",
    "1",
    "-1",
    "1e308",
    "-1e308",
    "1e-320",
    "1e999",
    "4294967295",
    "4294967296",
    "2147483648",
    "9007199254740993",
    "0.5",
    "1e9",
    "65536",
    "46340",
    "\n",
    " ",
];

const CBF_TOKENS: &[&str] = &[
    "VER",
    "POWCONES",
    "POW*CONES",
    "OBJSENSE",
    "VAR",
    "CON",
    "OBJACOORD",
    "OBJBCOORD",
    "ACOORD",
    "BCOORD",
    "INT",
    "PSDVAR",
    "CHANGE",
    "MIN",
    "MAX",
    "F",
    "L+",
    "L-",
    "L=",
    "Q",
    "QR",
    "EXP",
    "EXP*",
    "@0:POW",
    "@0:POW*",
    "@1:POW",
    "0",
    "1",
    "2",
    "3",
    "-1",
    "1e308",
    "-1e308",
    "1.7e308",
    "4.9e-324",
    "1e-400",
    "4294967295",
    "18446744073709551616",
    "1000000",
    "\n",
    " ",
    "#",
];

/// Which kind of text is mutated.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Model,
    Cbf,
}

/// One to four stacked mutations of a corpus entry.
pub fn mutate(rng: &mut Rng, corpus: &[Vec<u8>], kind: Kind) -> Vec<u8> {
    let mut out = corpus[rng.below(corpus.len())].clone();
    for _ in 0..1 + rng.below(4) {
        once(rng, corpus, kind, &mut out);
    }
    out
}

fn once(rng: &mut Rng, corpus: &[Vec<u8>], kind: Kind, out: &mut Vec<u8>) {
    let len = out.len();
    let at = rng.below(len + 1);
    match rng.below(9) {
        // Flip a bit.
        0 if len > 0 => {
            let i = rng.below(len);
            out[i] ^= 1 << rng.below(8);
        }
        // A random byte, often printable.
        1 => {
            let b = if rng.below(4) == 0 { rng.next() as u8 } else { b' ' + rng.below(95) as u8 };
            out.insert(at, b);
        }
        // Delete a range.
        2 if len > 0 => {
            let n = 1 + rng.below(16.min(len - at.min(len - 1)));
            let start = at.min(len - 1);
            out.drain(start..(start + n).min(len));
        }
        // Splice a piece of another entry.
        3 => {
            let other = &corpus[rng.below(corpus.len())];
            if !other.is_empty() {
                let s = rng.below(other.len());
                let e = (s + 1 + rng.below(64)).min(other.len());
                let piece = other[s..e].to_vec();
                out.splice(at..at, piece);
            }
        }
        // Repeat a substring 2 to 2000 times (deep nesting, long sums, many statements).
        4 if len > 0 => {
            let s = rng.below(len);
            let e = (s + 1 + rng.below(12)).min(len);
            let piece = out[s..e].to_vec();
            let times = [2, 3, 10, 100, 300, 2000][rng.below(6)];
            let repeated: Vec<u8> = piece.iter().copied().cycle().take(piece.len() * times).collect();
            out.splice(e..e, repeated);
        }
        // Replace a number by another token.
        5 => {
            let digits: Vec<usize> = (0..len).filter(|&i| out[i].is_ascii_digit()).collect();
            if !digits.is_empty() {
                let s = digits[rng.below(digits.len())];
                let e = (s..len).find(|&i| !out[i].is_ascii_alphanumeric() && out[i] != b'.').unwrap_or(len);
                let token = token(rng, kind);
                out.splice(s..e, token.bytes());
            }
        }
        // Insert a token.
        _ => {
            let token = format!(" {} ", token(rng, kind));
            out.splice(at..at, token.bytes());
        }
    }
    // Inputs stay below 64 KiB, where a slow input is a finding.
    out.truncate(64 << 10);
}

fn token(rng: &mut Rng, kind: Kind) -> &'static str {
    let tokens = if kind == Kind::Model { MODEL_TOKENS } else { CBF_TOKENS };
    tokens[rng.below(tokens.len())]
}
