//! The figures of a sweep, as SVG and PNG, drawn with plotters and the DejaVu Sans font embedded in
//! the binary (no system font or library is used). Each is drawn from the rows of `results.csv`,
//! so `cnr sweep plot` redraws them without running anything:
//!
//! - `success.*`: the success rate against the swept axis, with its 95% Wilson interval;
//! - `error.*`: the median recovery error (log scale), with the band from the 10% to the 90%
//!   quantile;
//! - `loss.*`: the median training loss (solid) and test loss (dashed), with the same bands;
//! - `heatmap.*` (and `heatmap_relaxation_gd.*` with the refinement, `heatmap_gd.*` with the
//!   baseline): for a grid of two varied numeric axes, the success rate of every cell as a colour.
//!
//! Line figures have one curve per value of the other axes (and per method), told apart by colour
//! (the Okabe–Ito palette, safe for colour-blind readers), marker and dash pattern, so that curves
//! that coincide stay visible; the legend sits below the plot. Past eight curves, one panel per
//! group (small multiples), the other groups' curves in grey behind.

mod heat;
mod lines;

use crate::grid::{Axis, Grid};
use crate::results::crossings::{self, Crossing};
use crate::results::{summarise, summary_method, CellSummary, Row, BASELINE, LEARNED, REFINED};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use std::sync::OnceLock;

const WIDTH: u32 = 960;
const HEIGHT: u32 = 640;

/// What a line figure shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// The success rate (`success.*`).
    Rate,
    /// The recovery error's quantiles (`error.*`).
    Error,
    /// The training and test losses' quantiles (`loss.*`).
    Loss,
}

impl Metric {
    /// `rate`, `error` or `loss`, as `--metric` takes it.
    pub fn parse(text: &str) -> Result<Metric, PlotError> {
        match text {
            "rate" => Ok(Metric::Rate),
            "error" => Ok(Metric::Error),
            "loss" => Ok(Metric::Loss),
            other => Err(PlotError::Choice(format!("--metric {other}: choose rate, error or loss"))),
        }
    }

    /// The name `--metric` takes.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Rate => "rate",
            Metric::Error => "error",
            Metric::Loss => "loss",
        }
    }

    fn file(self) -> &'static str {
        match self {
            Metric::Rate => "success",
            Metric::Error => "error",
            Metric::Loss => "loss",
        }
    }
}

/// What the figures are of, for their titles.
pub struct About<'a> {
    /// The model, as named on the command line (its file's stem is shown).
    pub model: &'a str,
    /// The success threshold on the recovery error.
    pub threshold: f64,
}

/// How to draw: which axis is x, which makes the curves, which figure, and a log x axis. Left
/// empty, every figure the rows allow is drawn with the sweep's main axis as x.
#[derive(Clone, Debug, Default)]
pub struct Choice {
    /// The axis along x, by its column name (`ratio`, `d`, …).
    pub x: Option<String>,
    /// The axis whose values make the curves (the other axes' trials are pooled).
    pub group: Option<String>,
    /// One figure only.
    pub metric: Option<Metric>,
    /// A log x axis (else chosen when x spans two decades or more).
    pub log_x: bool,
}

/// Why figures cannot be drawn.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The choice of axes or figure does not fit the sweep: said with the flag and what to do.
    #[error("{0}")]
    Choice(String),
    /// Drawing or encoding failed (the font, the backend).
    #[error("the figures could not be drawn: {0}")]
    Drawing(String),
}

impl From<String> for PlotError {
    /// A drawing routine's error.
    fn from(message: String) -> PlotError {
        PlotError::Drawing(message)
    }
}

/// Every file a sweep's figures may be written to (removed by `--force`).
pub fn file_names() -> Vec<String> {
    ["success", "error", "loss"]
        .into_iter()
        .chain(HEAT_MAPS.map(|(name, _, _)| name))
        .flat_map(|b| [format!("{b}.svg"), format!("{b}.png")])
        .collect()
}

/// Makes the embedded font plotters' `sans-serif`, once.
fn font() -> Result<(), String> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular()).is_ok()
    });
    ok.then_some(()).ok_or_else(|| "the embedded font does not load".to_string())
}

/// Whether `choice` fits a sweep of `grid` with `rows`: its axes are the grid's (x and the group
/// not the same one; a log x axis only of positive values), and the figure it asks for can be
/// drawn (success and the recovery error need a planted filter). The error names the flag and
/// says what to do.
pub fn check(grid: &Grid, rows: &[Row], choice: &Choice) -> Result<(), PlotError> {
    Layout::of(grid, choice).map_err(PlotError::Choice)?;
    let has_error = rows.iter().any(|r| r.recovery_error.is_some());
    match choice.metric {
        Some(m @ (Metric::Rate | Metric::Error)) if !rows.is_empty() && !has_error => Err(PlotError::Choice(format!(
            "--metric {}: the trials have no recovery error (their data have no planted filter), so {} is not defined; choose --metric loss",
            m.name(),
            if m == Metric::Rate { "success" } else { "it" }
        ))),
        _ => Ok(()),
    }
}

/// One curve of the success figure and where it crosses each of [`crossings::LEVELS`].
#[derive(Clone, Debug, PartialEq)]
pub struct CurveCrossings {
    /// The values of the grouping axes (`d = 16`, `relu`; empty with one group).
    pub curve: String,
    /// `relaxation`, `relaxation+gd`, `gd`.
    pub method: String,
    /// The x axis's column (`ratio`, `samples`, …).
    pub x: String,
    /// The curve's points.
    pub points: usize,
    /// The fewest and most trials at a point.
    pub trials: (usize, usize),
    /// One per level.
    pub crossings: Vec<Crossing>,
}

/// Where each curve of the success figure `choice` draws crosses 10%, 50% and 90%; none without
/// a planted filter (no success is defined) or with a text x axis (activations, anchors).
pub fn crossings(grid: &Grid, rows: &[Row], choice: &Choice) -> Result<Vec<CurveCrossings>, PlotError> {
    let layout = Layout::of(grid, choice).map_err(PlotError::Choice)?;
    Ok(curve_crossings(grid, &layout, &lines::curves(grid, &layout, rows)))
}

fn curve_crossings(grid: &Grid, layout: &Layout, curves: &[lines::Curve]) -> Vec<CurveCrossings> {
    let x_axis = layout.x.map(|k| &grid.axes[k]);
    if x_axis.is_some_and(|a| !a.is_numeric())
        || curves.iter().all(|c| c.points.iter().all(|p| p.summary.error.is_none()))
    {
        return Vec::new();
    }
    curves
        .iter()
        .filter(|c| !c.points.is_empty())
        .map(|c| {
            let points = c.rates();
            let trials = points.iter().map(|p| p.trials);
            CurveCrossings {
                curve: c.group_name.clone(),
                method: c.points[0].summary.method.clone(),
                x: x_axis.map_or("samples".into(), Axis::column),
                points: points.len(),
                trials: (trials.clone().min().unwrap_or(0), trials.max().unwrap_or(0)),
                crossings: crossings::LEVELS
                    .iter()
                    .map(|&l| crossings::crossing(&points, l, layout.log_x))
                    .collect(),
            }
        })
        .collect()
}

/// The figures of `rows`, as (file name, bytes).
pub fn render(
    grid: &Grid,
    rows: &[Row],
    about: &About,
    choice: &Choice,
) -> Result<Vec<(String, Vec<u8>)>, PlotError> {
    font()?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    check(grid, rows, choice)?;
    let layout = Layout::of(grid, choice).map_err(PlotError::Choice)?;
    let has_error = rows.iter().any(|r| r.recovery_error.is_some());
    let metrics = match choice.metric {
        Some(m) => vec![m],
        // With a planted filter, success and error; without one (real data), the losses.
        None if has_error => vec![Metric::Rate, Metric::Error],
        None => vec![Metric::Loss],
    };
    let details = details(grid, rows, &layout);
    let stem = Path::new(about.model).file_stem().map_or(about.model.into(), |s| s.to_string_lossy());
    let mut figures: Vec<(String, Figure)> = Vec::new();
    for metric in metrics {
        let what = match metric {
            Metric::Rate => format!("success rate (optimal, recovery error < {:e})", about.threshold),
            Metric::Error => "recovery error ‖w − w*‖ / ‖w*‖".into(),
            Metric::Loss => "training loss (solid) and test loss (dashed)".into(),
        };
        let curves = lines::curves(grid, &layout, rows);
        let title = Title { main: format!("{stem}: {what}"), details: details.clone() };
        figures.push((metric.file().into(), Figure::Lines { metric, curves, title }));
    }
    if let (Some(y), true) = (layout.heat_y, choice.metric.is_none_or(|m| m == Metric::Rate) && has_error) {
        let summaries = summarise(rows);
        for (name, method, which) in HEAT_MAPS {
            let cells: Vec<CellSummary> = summaries.iter().filter(|s| s.method == method).cloned().collect();
            if !cells.is_empty() {
                let main = format!("{stem}, {which}: success rate (recovery error < {:e})", about.threshold);
                let title = Title { main, details: details.clone() };
                figures.push((name.into(), Figure::Heat { y, cells, title }));
            }
        }
    }
    let mut out = Vec::new();
    for (name, figure) in &figures {
        let mut svg = String::new();
        {
            let area = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
            draw(&area, grid, &layout, figure)?;
            area.present().map_err(|e| e.to_string())?;
        }
        let mut pixels = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
        {
            let area = BitMapBackend::with_buffer(&mut pixels, (WIDTH, HEIGHT)).into_drawing_area();
            draw(&area, grid, &layout, figure)?;
            area.present().map_err(|e| e.to_string())?;
        }
        out.push((format!("{name}.svg"), svg.into_bytes()));
        out.push((format!("{name}.png"), encode_png(&pixels)?));
    }
    Ok(out)
}

/// One figure, drawn alike on every backend.
enum Figure {
    Lines { metric: Metric, curves: Vec<lines::Curve>, title: Title },
    Heat { y: usize, cells: Vec<CellSummary>, title: Title },
}

/// A figure's title: what it shows, and a line of what was held fixed.
#[derive(Clone)]
struct Title {
    main: String,
    details: String,
}

fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    grid: &Grid,
    layout: &Layout,
    figure: &Figure,
) -> Result<(), String> {
    area.fill(&WHITE).map_err(|e| e.to_string())?;
    let (top, rest) = area.split_vertically(58);
    let title = match figure {
        Figure::Lines { title, .. } | Figure::Heat { title, .. } => title,
    };
    let text = |s: &str, y: i32, size: u32| {
        let style = ("sans-serif", size).into_font().color(&BLACK).pos(text_anchor_top_centre());
        top.draw(&Text::new(s.to_string(), (WIDTH as i32 / 2, y), style)).map_err(|e| e.to_string())
    };
    text(&title.main, 8, 20)?;
    text(&title.details, 34, 15)?;
    match figure {
        Figure::Lines { metric, curves, .. } => lines::draw(&rest, grid, layout, *metric, curves),
        Figure::Heat { y, cells, .. } => heat::draw(&rest, grid, layout, *y, cells),
    }
}

fn text_anchor_top_centre() -> plotters::style::text_anchor::Pos {
    use plotters::style::text_anchor::{HPos, Pos, VPos};
    Pos::new(HPos::Center, VPos::Top)
}

/// What every point of the figures shares, for the title: `K` and `d` when they are fixed, and the
/// trials per point.
fn details(grid: &Grid, rows: &[Row], layout: &Layout) -> String {
    let mut parts = Vec::new();
    let fixed = |get: fn(&Row) -> usize| {
        let first = get(&rows[0]);
        (first > 0 && rows.iter().all(|r| get(r) == first)).then_some(first)
    };
    if let Some(k) = fixed(|r| r.patches) {
        parts.push(format!("K = {k}"));
    }
    if let Some(d) = fixed(|r| r.d) {
        parts.push(format!("d = {d}"));
    }
    // Trials per point: the rows of one method, over the points the line figures draw.
    let mut counts: Vec<usize> = lines::curves(grid, layout, rows)
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.summary.trials))
        .collect();
    counts.sort_unstable();
    match (counts.first(), counts.last()) {
        (Some(1), Some(1)) => parts.push("1 trial per point".into()),
        (Some(a), Some(b)) if a == b => parts.push(format!("{a} trials per point")),
        (Some(a), Some(b)) => parts.push(format!("{a}–{b} trials per point")),
        _ => {}
    }
    parts.join(", ")
}

/// RGB pixels as a PNG file.
fn encode_png(pixels: &[u8]) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(pixels).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(bytes)
}

/// Which axis is x, which axes make the curves, which (if any) is the heat map's y axis, and
/// whether x is drawn on a log scale.
struct Layout {
    x: Option<usize>,
    grouping: Vec<usize>,
    heat_y: Option<usize>,
    log_x: bool,
}

impl Layout {
    fn of(grid: &Grid, choice: &Choice) -> Result<Layout, String> {
        let named = |flag: &str, name: &str| {
            grid.axes.iter().position(|a| a.column() == name).ok_or_else(|| {
                let names: Vec<String> = grid.axes.iter().map(Axis::column).collect();
                format!("{flag} {name}: the sweep has no such axis; its axes are {}", names.join(", "))
            })
        };
        let varied: Vec<usize> = (0..grid.axes.len()).filter(|&k| grid.axes[k].len() > 1).collect();
        let pick = |want: fn(&Axis) -> bool| varied.iter().copied().find(|&k| want(&grid.axes[k]));
        let x = match &choice.x {
            Some(name) => Some(named("--x", name)?),
            None => pick(|a| matches!(a, Axis::Ratio { .. }))
                .or_else(|| pick(|a| matches!(a, Axis::Samples { .. })))
                .or_else(|| pick(Axis::is_numeric)),
        };
        let grouping = match &choice.group {
            Some(name) => {
                let g = named("--group", name)?;
                if Some(g) == x {
                    return Err(format!("--group {name} is the x axis too: choose another"));
                }
                vec![g]
            }
            None => varied.iter().copied().filter(|&k| Some(k) != x).collect(),
        };
        let heat_y = match grouping.as_slice() {
            [y] if choice.group.is_none()
                && grid.axes[*y].is_numeric()
                && x.is_some_and(|x| grid.axes[x].is_numeric()) =>
            {
                Some(*y)
            }
            _ => None,
        };
        let numbers: Vec<f64> = x.map_or(Vec::new(), |k| grid.axes[k].numbers());
        let (lo, hi) =
            numbers.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
        let positive = !numbers.is_empty() && lo > 0.0;
        if choice.log_x && !positive {
            return Err("--log-x: the x axis has values that are not positive".into());
        }
        // Values over two decades or more (n/d from 2 to 1,024, say) are drawn on a log axis.
        let log_x = positive && (choice.log_x || hi / lo >= 100.0);
        Ok(Layout { x, grouping, heat_y, log_x })
    }
}

/// The label of an axis on a plot.
fn axis_label(axis: Option<&Axis>) -> String {
    match axis {
        Some(Axis::Ratio { .. }) => "samples per filter coordinate, n/d".into(),
        Some(Axis::Samples { .. }) | None => "samples n".into(),
        Some(Axis::Param { name, .. }) => format!("parameter {name}"),
        Some(Axis::Noise { .. }) => "label noise".into(),
        Some(Axis::Activation { .. }) => "activation".into(),
        Some(Axis::Anchor { .. }) => "anchor".into(),
        Some(Axis::Restarts { .. }) => "restarts".into(),
        Some(Axis::Refine { .. }) => "refinements".into(),
    }
}

/// The method of a row as a legend says it.
fn method_name(row_method: &str) -> &'static str {
    match summary_method(row_method) {
        BASELINE => "gradient descent",
        REFINED => "relaxation+gd",
        LEARNED => "learned output weights",
        _ => "relaxation",
    }
}

/// The heat maps: the file of each method's, and what its title calls the method.
const HEAT_MAPS: [(&str, &str, &str); 3] = [
    ("heatmap", "relaxation", "convex relaxation"),
    ("heatmap_relaxation_gd", REFINED, "convex relaxation refined by gradient descent"),
    ("heatmap_gd", BASELINE, "gradient descent"),
];

/// A tick label of a log axis drawn as `log10(v)`: the decades only, as numbers.
/// The ticks of a log axis over `lo..=hi` (log10 units): every decade, and its 2 and 5 as well
/// when the range spans less than two decades (a range of 1 to 8 would otherwise show "1" alone).
/// Each tick is its position and its label.
fn log_ticks(lo: f64, hi: f64) -> Vec<(f64, String)> {
    let multipliers: &[f64] = if hi - lo < 2.0 { &[1.0, 2.0, 5.0] } else { &[1.0] };
    let mut ticks = Vec::new();
    for k in (lo.floor() as i32)..=(hi.ceil() as i32) {
        for &m in multipliers {
            let at = m.log10() + f64::from(k);
            if at >= lo - 1e-9 && at <= hi + 1e-9 {
                ticks.push((at, power_label(m, k)));
            }
        }
    }
    ticks
}

/// The label of a tick at `v` (log10 units): its power of ten where `v` is whole, else none.
fn decade_label(v: f64) -> String {
    if (v - v.round()).abs() > 1e-9 {
        return String::new();
    }
    power_label(1.0, v.round() as i32)
}

/// `m·10^k` as people read it: plainly from 0.001 to 50,000 (`0.2`, `500`), else `2e5`.
fn power_label(m: f64, k: i32) -> String {
    if (-3..=4).contains(&k) {
        let text = format!("{:.3}", m * 10f64.powi(k));
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{m}e{k}")
    }
}

#[cfg(test)]
mod tests {
    use super::log_ticks;

    #[test]
    fn a_short_log_axis_has_ticks_at_1_2_and_5_of_each_decade() {
        let labels =
            |lo: f64, hi: f64| -> Vec<String> { log_ticks(lo, hi).into_iter().map(|t| t.1).collect() };
        assert_eq!(labels(0.0, 8f64.log10()), ["1", "2", "5"]);
        assert_eq!(labels(0.0, 2.0), ["1", "10", "100"], "two decades or more: the decades alone");
        assert_eq!(labels(-1.0, 0.5), ["0.1", "0.2", "0.5", "1", "2"]);
        assert_eq!(labels(5.0, 5.5), ["1e5", "2e5"]);
    }
}
