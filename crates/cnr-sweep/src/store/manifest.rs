//! `sweep.json`: what a sweep is, and what differs between two.

use crate::grid::{Grid, Shard};
use crate::results;
use cnr_driver::GdBudget;
use serde::{Deserialize, Serialize};

/// What a sweep is: two runs with equal manifests (shards aside) produce rows of one experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The version of cnr that made the folder.
    pub cnr_version: String,
    /// The model, as named on the command line.
    pub model: String,
    /// FNV-1a of the model's text.
    pub model_hash: String,
    /// The grid.
    pub grid: Grid,
    /// Trials per cell.
    pub trials: usize,
    /// The seed of trial 0.
    pub seed: u64,
    /// The success threshold on the recovery error.
    pub threshold: f64,
    /// The baseline's budget, when it runs.
    pub baseline: Option<GdBudget>,
    /// The gradient steps of the refinement of the relaxation's point (`--refine-gd`), when it
    /// runs. Absent from the manifests of folders made before it existed, which read as `None`.
    #[serde(default)]
    pub refine_gd: Option<usize>,
    /// The settings of every cell, as flags.
    pub settings: Vec<String>,
    /// `auto`, `full` or `cutting_plane`.
    pub method: String,
    /// The backend asked for (`None`: the model's).
    pub backend: Option<String>,
    /// Which part of the grid this folder holds.
    pub shard: Shard,
    /// The data files the results are made from (none for planted data; absent from the manifests
    /// of folders made before they were recorded, which are resumed without the check).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_files: Vec<DataFingerprint>,
}

/// A data file as a sweep read it: its path as the model writes it, its size and its content's
/// FNV-1a hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataFingerprint {
    /// The path, as the model writes it.
    pub path: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// FNV-1a (64 bits) of its content.
    pub hash: String,
}

impl DataFingerprint {
    /// The fingerprint of a file the model read.
    pub fn of(file: &cnr_driver::DataFile) -> DataFingerprint {
        DataFingerprint { path: file.path.clone(), bytes: file.bytes, hash: file.hash.clone() }
    }
}

impl Manifest {
    /// The methods each trial has a row of: the relaxation, `relaxation+gd` with the refinement,
    /// `gd` with the baseline.
    pub fn methods(&self) -> Vec<&'static str> {
        let mut out = vec!["relaxation"];
        out.extend(self.refine_gd.map(|_| results::REFINED));
        out.extend(self.baseline.map(|_| results::BASELINE));
        out
    }

    /// What differs between two sweeps, shards aside; empty when they are the same.
    pub fn differences(&self, other: &Manifest) -> Vec<String> {
        let mut out = Vec::new();
        let mut differ = |what: &str, same: bool| {
            if !same {
                out.push(what.to_string());
            }
        };
        differ("the model's text", self.model_hash == other.model_hash);
        differ("the grid", self.grid == other.grid);
        differ("the number of trials", self.trials == other.trials);
        differ("the seed", self.seed == other.seed);
        differ("the threshold", self.threshold == other.threshold);
        differ("the baseline", self.baseline == other.baseline);
        differ("the refinement by gradient descent (--refine-gd)", self.refine_gd == other.refine_gd);
        differ("the settings (--param, --set)", self.settings == other.settings);
        differ("the method", self.method == other.method);
        differ("the backend", self.backend == other.backend);
        // A folder made before data files were recorded has none to compare.
        if !self.data_files.is_empty() && !other.data_files.is_empty() {
            for file in &other.data_files {
                match self.data_files.iter().find(|f| f.path == file.path) {
                    Some(old) if old == file => {}
                    Some(old) => out.push(format!(
                        "the data file `{}` ({} bytes, hash {} then; {} bytes, hash {} now)",
                        file.path, old.bytes, old.hash, file.bytes, file.hash
                    )),
                    None => out.push(format!("the data files (`{}` is new)", file.path)),
                }
            }
        }
        out
    }
}
