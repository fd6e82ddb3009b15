//! The `data` block: planted data (drawn in `planted.rs`) or data read from files.

use super::memory::Sizing;
use super::planted::planted_data;
use super::{single, Cx};
use crate::data::{Array, Data, DataSource, GivenData};
use crate::{Network, Overrides};
use cnr_syntax::ast::*;
use cnr_syntax::{Diagnostic, Span, Spanned};

impl Cx<'_> {
    /// The samples. Without a valid network, the block's own statements and files are still checked.
    pub(super) fn data(
        &mut self,
        item: &Item,
        net: Option<&Network>,
        sizing: Sizing,
        ov: &Overrides,
    ) -> Option<Data> {
        match item {
            Item::PlantedData(b) => self.planted(b, net, sizing, ov),
            Item::FileData(b) => self.file_data(b, net, sizing, ov),
            _ => unreachable!("data item"),
        }
    }

    pub(super) fn planted(
        &mut self,
        b: &Block<PlantedStmt>,
        net: Option<&Network>,
        sizing: Sizing,
        ov: &Overrides,
    ) -> Option<Data> {
        let (mut samples, mut seeds, mut noises, mut filters) = (vec![], vec![], vec![], vec![]);
        for s in &b.stmts {
            match &s.node {
                PlantedStmt::Samples(n) => samples.push((n, s.span)),
                PlantedStmt::Seed(n) => seeds.push((n, s.span)),
                PlantedStmt::Noise(n) => noises.push((n, s.span)),
                PlantedStmt::Filter(v) => filters.push((v, s.span)),
            }
        }
        let samples = single(self, samples, "`samples`");
        let seed = single(self, seeds, "`seed`");
        let noise = single(self, noises, "`noise`");
        let filter = single(self, filters, "`filter`");
        let n = match (ov.samples, samples) {
            (Some(n), _) => Some(n),
            (None, Some((num, _))) => self.whole(num, "the number of samples", 1),
            (None, None) => {
                self.push(
                    Diagnostic::error(
                        Span::new(b.span.start, b.span.start + 4),
                        "planted data need a number of samples",
                    )
                    .with_label("missing `samples`")
                    .with_hint("add `samples 192` (or pass --samples)"),
                );
                None
            }
        };
        let seed = match (ov.seed, seed) {
            (Some(s), _) => Some(s),
            (None, Some((num, _))) => self.seed(num),
            (None, None) => Some(0),
        };
        let noise = match (ov.noise, noise) {
            (Some(x), _) => Some(x),
            (None, Some((num, _))) if num.node.value >= 0.0 && num.node.value.is_finite() => {
                Some(num.node.value)
            }
            (None, Some((num, _))) => {
                self.push(
                    Diagnostic::error(
                        num.span,
                        format!("the noise level must be ≥ 0, found {}", num.node.shown()),
                    )
                    .with_label("negative"),
                );
                None
            }
            (None, None) => Some(0.0),
        };
        let given = match filter {
            Some((v, stmt)) => {
                let (vals, span, _) = self.vector(v, "planted-filter", stmt)?;
                let dm = net?.d() * net?.filters;
                if vals.len() != dm {
                    self.push(
                        Diagnostic::error(
                            span,
                            format!(
                                "the planted filter has {} numbers; the network needs M·d = {dm}",
                                vals.len()
                            ),
                        )
                        .with_label("wrong length"),
                    );
                    return None;
                }
                Some(vals)
            }
            None => None,
        };
        let (n, seed, noise, net) = (n?, seed?, noise?, net?);
        // The count comes from `--samples` when it is given, else from the `samples` statement.
        let span = match (ov.samples, samples) {
            (None, Some((num, _))) => num.span,
            _ => Span::new(b.span.start, b.span.start + 4),
        };
        self.samples_fit(net, sizing, n, span)?;
        // Drawing the samples is the checker's most expensive step; a model that already failed
        // would be discarded anyway.
        if self.diags.iter().any(Diagnostic::is_error) {
            return None;
        }
        Some(planted_data(net, n, seed, noise, given))
    }

    pub(super) fn file_data(
        &mut self,
        b: &Block<FileStmt>,
        net: Option<&Network>,
        sizing: Sizing,
        ov: &Overrides,
    ) -> Option<Data> {
        let (mut xs, mut ys, mut ws, mut txs, mut tys) = (vec![], vec![], vec![], vec![], vec![]);
        for s in &b.stmts {
            match &s.node {
                FileStmt::Inputs(p) => xs.push((p, s.span)),
                FileStmt::Labels(p) => ys.push((p, s.span)),
                FileStmt::Planted(p) => ws.push((p, s.span)),
                FileStmt::TestInputs(p) => txs.push((p, s.span)),
                FileStmt::TestLabels(p) => tys.push((p, s.span)),
            }
        }
        let xs = single(self, xs, "`inputs`");
        let ys = single(self, ys, "`labels`");
        let ws = single(self, ws, "`planted`");
        let (txs, tys) = (single(self, txs, "`test inputs`"), single(self, tys, "`test labels`"));
        let test = self.test_files(txs, tys);
        let head = Span::new(b.span.start, b.span.start + 4);
        if ov.noise.is_some() {
            self.push(Diagnostic::error(
                head,
                "--noise applies only to planted data, and this model reads its data from files",
            ));
        }
        let x = match xs {
            Some((p, _)) => self.array(p, "inputs").map(|a| (a, p)),
            None => {
                self.push(
                    Diagnostic::error(head, "file data need an `inputs` file")
                        .with_label("missing `inputs`")
                        .with_hint("add `inputs \"x.npy\"`"),
                );
                None
            }
        };
        let y = match ys {
            Some((p, _)) => self.array(p, "labels").map(|a| (a, p)),
            None => {
                self.push(
                    Diagnostic::error(head, "file data need a `labels` file")
                        .with_label("missing `labels`")
                        .with_hint("add `labels \"y.npy\"`"),
                );
                None
            }
        };
        let w = ws.map(|(p, _)| (self.array(p, "planted-filter"), p));
        let ((x, xp), (y, yp), net) = (x?, y?, net?);
        let w = w.map(|(a, p)| (a, Named::file(p)));
        let test = match test {
            Some(Some(((tx, txp), (ty, typ)))) => {
                Some(self.test_set((tx, Named::file(txp)), (ty, Named::file(typ)), net)?)
            }
            Some(None) => return None,
            None => None,
        };
        let mut data = self.assemble(
            (x, Named::file(xp)),
            (y, Named::file(yp)),
            w,
            net,
            sizing,
            ov,
            head,
            DataSource::Files,
        )?;
        data.test = test;
        Some(data)
    }

    /// The files of the test set: none, or both `test inputs` and `test labels` read (`Some(None)`
    /// when one is missing or unreadable, which is reported).
    #[allow(clippy::type_complexity)]
    fn test_files<'t>(
        &mut self,
        x: Option<(&'t Spanned<String>, Span)>,
        y: Option<(&'t Spanned<String>, Span)>,
    ) -> Option<Option<((Array, &'t Spanned<String>), (Array, &'t Spanned<String>))>> {
        let (x, y) = match (x, y) {
            (None, None) => return None,
            (Some(x), Some(y)) => (x, y),
            (Some((_, span)), None) | (None, Some((_, span))) => {
                let (has, lacks) = if x.is_some() { ("inputs", "labels") } else { ("labels", "inputs") };
                self.push(
                    Diagnostic::error(span, format!("a test set needs its {lacks} too"))
                        .with_label(format!("test {has} without test {lacks}"))
                        .with_hint(format!("add `test {lacks} \"…\"`, or remove this statement")),
                );
                return Some(None);
            }
        };
        let tx = self.array(x.0, "test-inputs");
        let ty = self.array(y.0, "test-labels");
        Some(tx.zip(ty).map(|(tx, ty)| ((tx, x.0), (ty, y.0))))
    }

    /// A held-out test set, shaped as the training data are; `--samples` does not cut it.
    fn test_set(
        &mut self,
        (x, xp): (Array, Named),
        (y, yp): (Array, Named),
        net: &Network,
    ) -> Option<Box<Data>> {
        self.sample_shapes(&x, &xp, &y, &yp, net.input_len())?;
        Some(Box::new(Data::new(x.values, y.values, net.input_len(), None, DataSource::Files)))
    }

    /// Data handed over as arrays (by a program, not a file), in place of the model's `data` block.
    /// `--seed` and `--noise` do not apply; the arrays' shapes are checked as files' are.
    pub(super) fn given_data(
        &mut self,
        given: &GivenData,
        net: Option<&Network>,
        sizing: Sizing,
        ov: &Overrides,
    ) -> Option<Data> {
        if ov.noise.is_some() {
            self.push(Diagnostic::error(
                Span::detached(),
                "--noise applies only to planted data, and this model's data are given as arrays",
            ));
        }
        let array =
            |name: &'static str| Named { span: Span::detached(), shown: format!("the `{name}` array") };
        // Numbers in memory are held to the rule of numbers in files: some, and all finite.
        let mut arrays = vec![("inputs", &given.inputs), ("labels", &given.labels)];
        arrays.extend(given.planted.as_ref().map(|a| ("planted", a)));
        if let Some((x, y)) = &given.test {
            arrays.extend([("test_inputs", x), ("test_labels", y)]);
        }
        let bias = given.planted_bias.as_ref().map(|b| Array { shape: vec![b.len()], values: b.clone() });
        arrays.extend(bias.as_ref().map(|b| ("planted_bias", b)));
        let mut bad = false;
        for (name, a) in arrays {
            if let Err(why) = crate::data::finite_values(a, Some(&array(name).shown)) {
                self.push(Diagnostic::error(Span::detached(), why));
                bad = true;
            }
        }
        if bad {
            return None;
        }
        let planted = given.planted.clone().map(|a| (Some(a), array("planted")));
        let mut data = self.assemble(
            (given.inputs.clone(), array("inputs")),
            (given.labels.clone(), array("labels")),
            planted,
            net?,
            sizing,
            ov,
            Span::detached(),
            DataSource::Arrays,
        )?;
        if let Some((tx, ty)) = &given.test {
            data.test = Some(self.test_set(
                (tx.clone(), array("test_inputs")),
                (ty.clone(), array("test_labels")),
                net?,
            )?);
        }
        if let Some(b) = &given.planted_bias {
            let filters = net?.filters;
            if !net?.bias || b.len() != filters {
                let need = if net?.bias {
                    format!("{filters} (one per filter)")
                } else {
                    "none: the network has no biases".into()
                };
                self.push(Diagnostic::error(
                    Span::detached(),
                    format!("the `planted_bias` array has {} numbers; the network needs {need}", b.len()),
                ));
                return None;
            }
            data.planted_bias = Some(b.clone());
        }
        Some(data)
    }

    /// Data from arrays read from files or given in memory: their shapes are checked against the
    /// network, `--samples` keeps the first samples, and the budget is applied.
    #[allow(clippy::too_many_arguments)]
    fn assemble(
        &mut self,
        (x, xp): (Array, Named),
        (y, yp): (Array, Named),
        w: Option<(Option<Array>, Named)>,
        net: &Network,
        sizing: Sizing,
        ov: &Overrides,
        head: Span,
        source: DataSource,
    ) -> Option<Data> {
        let len = net.input_len();
        self.sample_shapes(&x, &xp, &y, &yp, len)?;
        let n = y.values.len();
        let planted = match w {
            Some((Some(a), _)) if a.values.len() == net.d() * net.filters => Some(a.values),
            Some((Some(a), p)) => {
                self.push(
                    Diagnostic::error(
                        p.span,
                        format!(
                            "the planted filter in {} has {} numbers; the network needs M·d = {}",
                            p.shown,
                            a.values.len(),
                            net.d() * net.filters
                        ),
                    )
                    .with_label("wrong length"),
                );
                return None;
            }
            // The file could not be read: that error is reported already.
            Some((None, _)) => return None,
            None => None,
        };
        let n = ov.samples.unwrap_or(n).min(n);
        self.samples_fit(net, sizing, n, xp.span)?;
        let held = if matches!(source, DataSource::Arrays) { "the arrays hold" } else { "the files hold" };
        let mut data = Data::new(x.values, y.values, len, planted, source);
        if let Some(seed) = ov.seed {
            let keep = ov.samples.map_or(data.n, |k| k.min(data.n));
            shuffle(&mut data, seed, keep);
        }
        if let Some(k) = ov.samples {
            if k > data.n {
                self.push(Diagnostic::error(
                    head,
                    format!("--samples {k} asks for more samples than {held} ({})", data.n),
                ));
                return None;
            }
            data.x.truncate(k * len);
            data.y.truncate(k);
            data.n = k;
        }
        Some(data)
    }

    /// Checks that `x` holds one input of `len` numbers per label of `y`.
    fn sample_shapes(&mut self, x: &Array, xp: &Named, y: &Array, yp: &Named, len: usize) -> Option<()> {
        let n = y.values.len();
        if !(y.shape.len() == 1 || (y.shape.len() == 2 && y.shape[1] == 1)) {
            self.push(
                Diagnostic::error(
                    yp.span,
                    format!(
                        "the labels in {} have shape {:?}; expected one number per sample",
                        yp.shown, y.shape
                    ),
                )
                .with_label("wrong shape"),
            );
            return None;
        }
        let rows = x.shape.first().copied().unwrap_or(0);
        let per_row: usize = x.shape.iter().skip(1).product();
        if x.shape.len() < 2 || per_row != len {
            self.push(
                Diagnostic::error(
                    xp.span,
                    format!(
                        "the inputs in {} have shape {:?}; the network needs n rows of C·H·W = {len} numbers",
                        xp.shown, x.shape
                    ),
                )
                .with_label("wrong shape")
                .with_hint(format!("store an array of shape (n, {len})")),
            );
            return None;
        }
        if rows != n {
            self.push(
                Diagnostic::error(
                    yp.span,
                    format!("{} has {n} labels but {} has {rows} inputs", yp.shown, xp.shown),
                )
                .with_label("sample counts differ"),
            );
            return None;
        }
        Some(())
    }
}

/// Puts the samples in a random order drawn from ChaCha8 seeded with `seed` (a Fisher–Yates
/// shuffle), so that the first `N` are a random subset, and the subsets of one seed are nested;
/// only the first `keep` are kept (the others would be cut by `--samples` next).
fn shuffle(data: &mut Data, seed: u64, keep: usize) {
    use rand::seq::SliceRandom;
    let mut order: Vec<usize> = (0..data.n).collect();
    order.shuffle(&mut crate::data::generator(seed));
    order.truncate(keep);
    let x: Vec<f64> = order.iter().flat_map(|&i| data.sample(i).iter().copied()).collect();
    data.y = order.iter().map(|&i| data.y[i]).collect();
    data.x = x;
    data.n = keep;
    data.shuffled = Some(seed);
}

/// Where an array came from, for messages: its place in the model (a file's path) or none (an
/// array given in memory), and how a message names it.
struct Named {
    span: Span,
    shown: String,
}

impl Named {
    fn file(path: &Spanned<String>) -> Named {
        Named { span: path.span, shown: format!("`{}`", path.node) }
    }
}
