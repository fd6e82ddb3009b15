//! The line figures: success rate, recovery error, losses against the x axis.

use super::{axis_label, decade_label, log_ticks, method_name, Layout, Metric, WIDTH};
use crate::grid::{Axis, Grid, Value};
use crate::results::crossings::{crossing, CurvePoint, Place};
use crate::results::{method_order, summary_method, CellSummary, Known, Quantiles, Row};
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The Okabe–Ito palette (yellow last: it is faint on white), one colour per group of curves.
const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
    RGBColor(240, 228, 66),
];

/// Dash patterns (dash, gap) per curve; `None` is solid.
const DASHES: [Option<(u32, u32)>; 4] = [None, Some((10, 5)), Some((3, 4)), Some((16, 4))];

/// What each of `DASHES` looks like, in words.
const DASH_NAMES: [&str; 4] = ["solid", "dashed", "dotted", "long dashes"];

/// Pixels between the interval bars of neighbouring curves at one x.
const BAR_DODGE: i32 = 3;

/// A point of a curve: an x value and the trials pooled there.
pub(super) struct Point {
    pub x: f64,
    pub summary: CellSummary,
}

/// A curve: its label, its group (the values of the grouping axes: a group's methods share a
/// colour and a marker), its method (the relaxation, its refinement, the baseline: by
/// `method_order`, told apart by the dash pattern) and its points along x.
pub(super) struct Curve {
    pub label: String,
    /// The values of the grouping axes (a small multiple's caption).
    pub group_name: String,
    pub group: usize,
    pub method: usize,
    /// The method as the legend names it.
    pub method_name: &'static str,
    pub points: Vec<Point>,
}

impl Curve {
    /// Its points' trials and successes, for its crossings.
    pub(super) fn rates(&self) -> Vec<CurvePoint> {
        self.points
            .iter()
            .map(|p| CurvePoint { x: p.x, successes: p.summary.successes, trials: p.summary.trials })
            .collect()
    }
}

/// How the curves of a figure are told apart: colour and marker by group (by method when there is
/// one group), and the dash pattern by method when there are several groups and several methods,
/// else like the colour; so a group's methods and groups that coincide (relu and softplus above
/// the threshold) differ in every way the figure has.
struct Styles {
    several_groups: bool,
    several_methods: bool,
}

impl Styles {
    fn of(curves: &[Curve]) -> Styles {
        let differ = |get: fn(&Curve) -> usize| curves.iter().any(|c| get(c) != get(&curves[0]));
        Styles { several_groups: differ(|c| c.group), several_methods: differ(|c| c.method) }
    }

    /// The curve's colour and marker index.
    fn key(&self, curve: &Curve) -> usize {
        if self.several_groups {
            curve.group
        } else {
            curve.method
        }
    }

    fn colour(&self, curve: &Curve) -> RGBColor {
        PALETTE[self.key(curve) % PALETTE.len()]
    }

    fn dash(&self, curve: &Curve) -> Option<(u32, u32)> {
        if self.several_groups && self.several_methods {
            return DASHES[curve.method % DASHES.len()];
        }
        DASHES[dash_index(self.key(curve))]
    }
}

/// The dash of curve `key` when the dash is not the method's: the colours cycle every 8 curves,
/// so each cycle shifts the dashes by one, and no two of the first 32 curves share both colour
/// and dash (eleven activations once drew relu and softplus alike).
fn dash_index(key: usize) -> usize {
    (key + key / PALETTE.len()) % DASHES.len()
}

/// Where a row sits along x: the number of its value, the index of a name, or its sample count.
fn x_of(grid: &Grid, layout: &Layout, row: &Row) -> f64 {
    match layout.x {
        Some(k) => match &grid.values(row.cell)[k] {
            Value::Text(_) => grid.coordinates(row.cell)[k] as f64,
            v => v.number().unwrap_or(0.0),
        },
        None => row.samples as f64,
    }
}

/// The rows pooled by the values of the grouping axes, by method and by x.
pub(super) fn curves(grid: &Grid, layout: &Layout, rows: &[Row]) -> Vec<Curve> {
    // With more than one method (the baseline, the refinement), a label names its method.
    let first = rows.first().map_or("", |r| summary_method(&r.method));
    let several_methods = rows.iter().any(|r| summary_method(&r.method) != first);
    let known = Known::of(rows);
    // (label, the grouping axes' coordinates, method, the rows at each x, group name, method name)
    type Pooled<'r> = (String, Vec<usize>, usize, Vec<(f64, Vec<&'r Row>)>, String, &'static str);
    let mut pooled: Vec<Pooled> = Vec::new();
    for row in rows {
        let values = grid.values(row.cell);
        let key = layout
            .grouping
            .iter()
            .map(|&k| match &grid.axes[k] {
                Axis::Activation { .. } | Axis::Anchor { .. } => values[k].to_string(),
                a => format!("{} = {}", a.column(), values[k]),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let at = grid.coordinates(row.cell);
        let coordinates: Vec<usize> = layout.grouping.iter().map(|&k| at[k]).collect();
        let method = method_name(&row.method);
        let label = match (key.is_empty(), several_methods) {
            (true, _) => method.to_string(),
            (false, true) => format!("{key}, {method}"),
            (false, false) => key.clone(),
        };
        let index = pooled.iter().position(|c| c.0 == label).unwrap_or_else(|| {
            pooled.push((
                label,
                coordinates,
                usize::from(method_order(&row.method)),
                Vec::new(),
                key,
                method,
            ));
            pooled.len() - 1
        });
        let x = x_of(grid, layout, row);
        let points = &mut pooled[index].3;
        match points.iter_mut().find(|p| p.0 == x) {
            Some(p) => p.1.push(row),
            None => points.push((x, vec![row])),
        }
    }
    // Curves in the grid's order of the grouping axes, then by method, whatever order the trials
    // finished in; a group's number is its place in that order.
    pooled.sort_by(|a, b| (&a.1, a.2).cmp(&(&b.1, b.2)));
    let mut groups: Vec<Vec<usize>> = pooled.iter().map(|p| p.1.clone()).collect();
    groups.dedup();
    pooled
        .into_iter()
        .map(|(label, coordinates, method, mut points, group_name, method_name)| {
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            let points = points
                .into_iter()
                .map(|(x, rows)| Point { x, summary: CellSummary::of(&rows, known) })
                .collect();
            let group = groups.iter().position(|g| *g == coordinates).unwrap_or(0);
            Curve { label, group_name, group, method, method_name, points }
        })
        .collect()
}

/// The series a curve draws in a figure: (dashed for the test loss, the point's (value, low, high)).
type Series = (bool, Vec<(f64, (f64, f64, f64))>);

fn series(metric: Metric, curve: &Curve) -> Vec<Series> {
    let quantiles = |get: fn(&CellSummary) -> Option<Quantiles>| -> Vec<(f64, (f64, f64, f64))> {
        curve.points.iter().filter_map(|p| get(&p.summary).map(|q| (p.x, (q.median, q.q10, q.q90)))).collect()
    };
    match metric {
        Metric::Rate => {
            let at = |p: &Point| {
                let (low, high) = p.summary.wilson();
                (p.x, (p.summary.rate(), low, high))
            };
            vec![(false, curve.points.iter().map(at).collect())]
        }
        Metric::Error => vec![(false, quantiles(|s| s.error))],
        Metric::Loss => {
            let test = quantiles(|s| s.test_loss);
            let mut out = vec![(false, quantiles(|s| s.loss))];
            if !test.is_empty() {
                out.push((true, test));
            }
            out
        }
    }
}

/// The y range of a log figure, in decades: from the smallest positive finite value to the
/// largest finite one. A value of 0 is drawn at the bottom edge, an infinite one (a trial without
/// a point) at the top.
fn decades(all: &[Series]) -> (f64, f64) {
    let finite: Vec<f64> = all
        .iter()
        .flat_map(|(_, points)| points.iter().flat_map(|(_, (a, b, c))| [*a, *b, *c]))
        .filter(|v| v.is_finite() && *v > 0.0)
        .collect();
    let lo = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if finite.is_empty() {
        return (-1.0, 0.0);
    }
    let (a, b) = (lo.log10().floor(), hi.log10().ceil());
    (a, if b > a { b } else { a + 1.0 })
}

/// Past this many curves a figure is drawn as small multiples: one panel per group, its curves in
/// colour and every other curve in grey behind them, so that curves that coincide (eleven
/// activations all at 1.0) stay apart.
const MOST_CURVES_IN_ONE_PANEL: usize = 8;

/// What every panel of a figure shares: the ranges, the axes' scales and their labels.
struct Frame {
    x: (f64, f64),
    y: (f64, f64),
    log_x: bool,
    log_y: bool,
    /// The names along a text x axis (activations, anchors), else empty.
    names: Vec<String>,
    x_desc: String,
    y_desc: String,
}

impl Frame {
    fn of(grid: &Grid, layout: &Layout, metric: Metric, curves: &[Curve], all: &[Vec<Series>]) -> Frame {
        let x_axis = layout.x.map(|k| &grid.axes[k]);
        let text_x = x_axis.is_some_and(|a| !a.is_numeric());
        let to_x = |x: f64| if layout.log_x { x.log10() } else { x };
        let (lo, hi) = curves
            .iter()
            .flat_map(|c| c.points.iter().map(|p| to_x(p.x)))
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
        let pad = if text_x {
            0.5
        } else if hi > lo {
            (hi - lo) * 0.03
        } else {
            0.5
        };
        let log_y = metric != Metric::Rate;
        let flat: Vec<Series> = all.iter().flatten().cloned().collect();
        let mut x_desc = axis_label(x_axis);
        if layout.log_x {
            x_desc += " (log scale)";
        }
        let y_desc = match metric {
            Metric::Rate => "success rate".to_string(),
            Metric::Error => "recovery error (log scale; median, 10–90% band)".into(),
            Metric::Loss => "mean squared error (log scale; median, 10–90% band)".into(),
        };
        Frame {
            x: (lo - pad, hi + pad),
            y: if log_y { decades(&flat) } else { (-0.02, 1.02) },
            log_x: layout.log_x,
            log_y,
            names: if text_x {
                x_axis.map_or(Vec::new(), |a| (0..a.len()).map(|k| a.value(k).to_string()).collect())
            } else {
                Vec::new()
            },
            x_desc,
            y_desc,
        }
    }

    fn to_point(&self, (x, v): (f64, f64)) -> (f64, f64) {
        let x = if self.log_x { x.log10() } else { x };
        let y = if !self.log_y {
            v
        } else if v.is_nan() || v <= 0.0 {
            self.y.0
        } else {
            v.log10().clamp(self.y.0, self.y.1)
        };
        (x, y)
    }
}

/// What every panel of one figure draws from: the frame, the metric, the curves with their series
/// (`all[i]` is `curves[i]`'s) and their styles.
#[derive(Clone, Copy)]
struct Drawing<'a> {
    frame: &'a Frame,
    metric: Metric,
    curves: &'a [Curve],
    all: &'a [Vec<Series>],
    styles: &'a Styles,
}

pub(super) fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    grid: &Grid,
    layout: &Layout,
    metric: Metric,
    curves: &[Curve],
) -> Result<(), String> {
    let all: Vec<Vec<Series>> = curves.iter().map(|c| series(metric, c)).collect();
    let frame = Frame::of(grid, layout, metric, curves, &all);
    let styles = Styles::of(curves);
    let groups = curves.iter().map(|c| c.group).max().map_or(0, |g| g + 1);
    let figure = Drawing { frame: &frame, metric, curves, all: &all, styles: &styles };
    if curves.len() > MOST_CURVES_IN_ONE_PANEL && groups > 1 {
        return small_multiples(area, &figure, groups);
    }
    let longest = curves.iter().map(|c| c.label.chars().count()).max().unwrap_or(0);
    let columns = if longest <= 26 {
        3
    } else if longest <= 44 {
        2
    } else {
        1
    };
    let legend_rows = curves.len().div_ceil(columns) as u32;
    let (_, height) = area.dim_in_pixel();
    let (plot_area, legend_area) = area.split_vertically(height - 30 - 22 * legend_rows);
    let drawn: Vec<usize> = (0..curves.len()).collect();
    panel(&plot_area, &figure, &drawn, None)?;
    legend(&legend_area, metric, curves, columns)?;
    bar_note(&legend_area, metric, 10 + legend_rows as i32 * 22 - 6)
}

/// One panel per group in a grid (four columns at most), each titled by its group and drawing
/// that group's curves over the others in grey; the axes' descriptions once, beside the grid.
fn small_multiples<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    figure: &Drawing,
    groups: usize,
) -> Result<(), String> {
    let (frame, metric, curves) = (figure.frame, figure.metric, figure.curves);
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let columns = groups.min(4);
    let rows = groups.div_ceil(columns);
    let (_, height) = area.dim_in_pixel();
    let (body, bottom) = area.split_vertically(height - 60);
    let (side, grid_area) = body.split_horizontally(24);
    let font = ("sans-serif", 16).into_font().color(&BLACK);
    let (w, h) = grid_area.dim_in_pixel();
    let upright = font.clone().transform(FontTransform::Rotate270).pos(Pos::new(HPos::Center, VPos::Center));
    side.draw(&Text::new(frame.y_desc.clone(), (12, h as i32 / 2), upright)).map_err(e)?;
    let centred = font.pos(Pos::new(HPos::Center, VPos::Center));
    bottom.draw(&Text::new(frame.x_desc.clone(), (24 + w as i32 / 2, 10), centred)).map_err(e)?;
    for (g, cell) in grid_area.split_evenly((rows, columns)).iter().enumerate().take(groups) {
        let drawn: Vec<usize> = (0..curves.len()).filter(|&i| curves[i].group == g).collect();
        panel(cell, figure, &drawn, Some(&curves[drawn[0]].group_name))?;
    }
    // The methods' dashes, said in words (a panel has no legend).
    let mut methods: Vec<(usize, &str)> = curves.iter().map(|c| (c.method, c.method_name)).collect();
    methods.sort_unstable();
    methods.dedup();
    let mut note = String::from("each panel: its curves in colour, the other panels' in grey");
    if methods.len() > 1 && metric != Metric::Loss {
        for (method, name) in methods {
            note += &format!("; {}: {name}", DASH_NAMES[method % DASHES.len()]);
        }
    }
    let font = ("sans-serif", 13).into_font().color(&BLACK);
    bottom.draw(&Text::new(note, (90, 26), font)).map_err(e)?;
    bar_note(&bottom, metric, 42)
}

/// A chart of `curves[drawn]` in their styles, with their intervals; in a small multiple
/// (`caption`), the other curves in grey behind them and smaller fonts.
fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    figure: &Drawing,
    drawn: &[usize],
    caption: Option<&str>,
) -> Result<(), String> {
    let Drawing { frame, metric, curves, all, styles } = *figure;
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let small = caption.is_some();
    let (label_size, x_area, y_area) = if small { (12, 28, 44) } else { (16, 48, 72) };
    let mut builder = ChartBuilder::on(area);
    builder.margin(if small { 6 } else { 16 }).x_label_area_size(x_area).y_label_area_size(y_area);
    if let Some(text) = caption {
        builder.caption(text, ("sans-serif", 14));
    }
    let mut chart = builder.build_cartesian_2d(frame.x.0..frame.x.1, frame.y.0..frame.y.1).map_err(e)?;
    let text_x = !frame.names.is_empty();
    let x_tick = |v: &f64| {
        if text_x {
            let k = v.round();
            return if (v - k).abs() < 1e-6 && k >= 0.0 {
                frame.names.get(k as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            };
        }
        if frame.log_x {
            // Drawn below by `log_ticks`, where they belong.
            return String::new();
        }
        let text = format!("{v:.3}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    let y_tick = |v: &f64| if frame.log_y { decade_label(*v) } else { format!("{v:.1}") };
    let mut mesh = chart.configure_mesh();
    mesh.x_label_formatter(&x_tick)
        .y_label_formatter(&y_tick)
        .label_style(("sans-serif", label_size))
        .axis_desc_style(("sans-serif", 17))
        .light_line_style(WHITE);
    if small {
        mesh.x_labels(5).y_labels(if frame.log_y { 10 } else { 3 });
    } else {
        mesh.x_desc(frame.x_desc.clone()).y_desc(frame.y_desc.clone());
    }
    if text_x {
        mesh.x_labels(frame.names.len().clamp(1, 16) * 2 + 1);
    }
    mesh.draw().map_err(e)?;
    if frame.log_x && !text_x {
        // The mesh places ticks at round numbers of log10 x, which are 1, 10, 100 only; these sit
        // at every decade (and its 2 and 5 on a short range), drawn in the mesh's label area.
        let base = area.get_base_pixel();
        let font = ("sans-serif", label_size).into_font().color(&BLACK);
        let (lo, hi) = (frame.x.0, frame.x.1);
        for (at, label) in log_ticks(lo, hi) {
            let (px, py) = chart.backend_coord(&(at, frame.y.0));
            let (px, py) = (px - base.0, py - base.1);
            area.draw(&PathElement::new(vec![(px, py), (px, py + 5)], BLACK)).map_err(e)?;
            let width = label_size / 2 * label.chars().count() as i32;
            area.draw(&Text::new(label, (px - width / 2, py + 8), font.clone())).map_err(e)?;
        }
    }
    if small {
        // The other curves, for context: thin grey lines, no intervals, no markers.
        let grey = ShapeStyle { color: RGBColor(190, 190, 190).to_rgba(), filled: false, stroke_width: 1 };
        for (_, series) in all.iter().enumerate().filter(|(i, _)| !drawn.contains(i)) {
            for (_, points) in series {
                let line: Vec<(f64, f64)> =
                    points.iter().map(|(x, (v, _, _))| frame.to_point((*x, *v))).collect();
                chart.draw_series(LineSeries::new(line, grey)).map_err(e)?;
            }
        }
    }
    if metric == Metric::Rate {
        // The 50% level, along which each curve's crossing is drawn.
        let level = ShapeStyle { color: RGBColor(160, 160, 160).to_rgba(), filled: false, stroke_width: 1 };
        let ends = [
            frame.to_point((frame_x(frame, frame.x.0), 0.5)),
            frame.to_point((frame_x(frame, frame.x.1), 0.5)),
        ];
        chart.draw_series(DashedLineSeries::new(ends, 4, 4, level)).map_err(e)?;
    }
    for (slot, &i) in drawn.iter().enumerate() {
        let (curve, series) = (&curves[i], &all[i]);
        let colour = styles.colour(curve);
        if metric == Metric::Rate {
            half_crossing(&chart, frame, curve, colour, 2 + slot as i32 * 4)?;
        }
        // Each curve's intervals as bars at its points, set a few pixels apart from the other
        // curves' (in the order of the legend), so that coinciding curves keep their intervals.
        let dodge = (2 * slot as i32 - (drawn.len() as i32 - 1)) * BAR_DODGE;
        for (test, points) in series {
            let bar = ShapeStyle { color: colour.mix(0.7), filled: false, stroke_width: 1 };
            for (x, (_, low, high)) in points {
                let (top, bottom) = (
                    chart.backend_coord(&frame.to_point((*x, *high))),
                    chart.backend_coord(&frame.to_point((*x, *low))),
                );
                let length = bottom.1 - top.1;
                let shape = EmptyElement::at(frame.to_point((*x, *high)))
                    + PathElement::new(vec![(dodge, 0), (dodge, length)], bar)
                    + PathElement::new(vec![(dodge - 3, 0), (dodge + 3, 0)], bar)
                    + PathElement::new(vec![(dodge - 3, length), (dodge + 3, length)], bar);
                chart.plotting_area().draw(&shape).map_err(e)?;
            }
            let line: Vec<(f64, f64)> =
                points.iter().map(|(x, (v, _, _))| frame.to_point((*x, *v))).collect();
            let style = ShapeStyle { color: colour.to_rgba(), filled: false, stroke_width: 2 };
            let dash = if metric == Metric::Loss { test.then_some((10, 5)) } else { styles.dash(curve) };
            match dash {
                None => chart.draw_series(LineSeries::new(line.clone(), style)).map(drop),
                Some((size, gap)) => {
                    chart.draw_series(DashedLineSeries::new(line.clone(), size, gap, style)).map(drop)
                }
            }
            .map_err(e)?;
            // Earlier curves have larger markers, so that a later curve on the same points
            // shows inside them.
            let size = if small { 4 } else { 7 - (slot as i32).min(3) };
            for p in line {
                marker(chart.plotting_area(), p, styles.key(curve), size, colour)?;
            }
        }
    }
    Ok(())
}

/// The x of a frame's edge in data units (the frame holds log10 x on a log axis).
fn frame_x(frame: &Frame, edge: f64) -> f64 {
    if frame.log_x {
        10f64.powf(edge)
    } else {
        edge
    }
}

/// A curve's 50% crossing on the 50% line, `below` pixels under it: its interval as a bar with end
/// caps (to the grid's end where it reaches beyond; none when it lies wholly beyond) and the
/// crossing as a filled dot.
fn half_crossing<DB: DrawingBackend>(
    chart: &ChartContext<
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    frame: &Frame,
    curve: &Curve,
    colour: RGBColor,
    below: i32,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let points = curve.rates();
    if points.is_empty() {
        return Ok(());
    }
    let c = crossing(&points, 0.5, frame.log_x);
    // An interval wholly beyond the grid's last point (or before its first) has nothing to draw.
    if matches!(c.low, Place::Above(_)) || matches!(c.high, Place::AtOrBelow(_)) {
        return Ok(());
    }
    let x_of = |place: Place| match place {
        Place::At(x) | Place::AtOrBelow(x) | Place::Above(x) => x,
    };
    let (a, b) = (frame.to_point((x_of(c.low), 0.5)), frame.to_point((x_of(c.high), 0.5)));
    let width = chart.backend_coord(&b).0 - chart.backend_coord(&a).0;
    let style = ShapeStyle { color: colour.to_rgba(), filled: false, stroke_width: 2 };
    let bar = EmptyElement::at(a)
        + PathElement::new(vec![(0, below), (width, below)], style)
        + PathElement::new(vec![(0, below - 3), (0, below + 3)], style)
        + PathElement::new(vec![(width, below - 3), (width, below + 3)], style);
    chart.plotting_area().draw(&bar).map_err(e)?;
    if let Some(x) = c.estimate.inside() {
        let dot = EmptyElement::at(frame.to_point((x, 0.5))) + Circle::new((0, below), 3, colour.filled());
        chart.plotting_area().draw(&dot).map_err(e)?;
    }
    Ok(())
}

/// The legend below the plot: each curve's line, marker and label, in columns, and a note on the
/// bars.
fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    metric: Metric,
    curves: &[Curve],
    columns: usize,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let width = (WIDTH as i32 - 100) / columns as i32;
    let font = ("sans-serif", 15).into_font().color(&BLACK);
    let styles = Styles::of(curves);
    for (i, curve) in curves.iter().enumerate() {
        let (x, y) = (90 + (i % columns) as i32 * width, 10 + (i / columns) as i32 * 22);
        let colour = styles.colour(curve);
        let style = ShapeStyle { color: colour.to_rgba(), filled: false, stroke_width: 2 };
        let dash = if metric == Metric::Loss { None } else { styles.dash(curve) };
        let pieces: Vec<(i32, i32)> = match dash {
            None => vec![(x, x + 36)],
            Some((size, gap)) => {
                let (size, step) = (size as i32, (size + gap) as i32);
                (0..)
                    .map(|k| x + k * step)
                    .take_while(|a| *a < x + 36)
                    .map(|a| (a, (a + size).min(x + 36)))
                    .collect()
            }
        };
        for (a, b) in pieces {
            area.draw(&PathElement::new(vec![(a, y), (b, y)], style)).map_err(e)?;
        }
        marker(area, (x + 18, y), styles.key(curve), 5, colour)?;
        area.draw(&Text::new(curve.label.clone(), (x + 46, y - 8), font.clone())).map_err(e)?;
    }
    Ok(())
}

/// The line under a figure's legend that says what the bars are (and the dashes of a loss figure).
fn bar_note<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, metric: Metric, y: i32) -> Result<(), String> {
    let mut note = match metric {
        Metric::Rate => {
            "bars: 95% Wilson intervals; on the dashed 50% line, each curve's crossing (dot) and its 95% interval".to_string()
        }
        _ => "bars: 10% to 90% of the trials".into(),
    };
    if metric == Metric::Loss {
        note += "; solid: training loss, dashed: test loss";
    }
    let font = ("sans-serif", 13).into_font().color(&BLACK);
    area.draw(&Text::new(note, (90, y), font)).map(drop).map_err(|e| e.to_string())
}

/// Draws marker `kind` (circle, square, triangle, diamond, cross) of half-size `s` at `at`.
fn marker<DB: DrawingBackend, CT: CoordTranslate>(
    area: &DrawingArea<DB, CT>,
    at: CT::From,
    kind: usize,
    s: i32,
    colour: RGBColor,
) -> Result<(), String> {
    let style = ShapeStyle { color: colour.to_rgba(), filled: false, stroke_width: 2 };
    let path = |points: Vec<(i32, i32)>| PathElement::new(points, style);
    let centre = EmptyElement::at(at);
    match kind % 5 {
        0 => area.draw(&(centre + Circle::new((0, 0), s, style))),
        1 => area.draw(&(centre + Rectangle::new([(-s, -s), (s, s)], style))),
        2 => area.draw(&(centre + path(vec![(0, -s - 1), (s + 1, s), (-s - 1, s), (0, -s - 1)]))),
        3 => area.draw(&(centre + path(vec![(0, -s - 2), (s + 1, 0), (0, s + 2), (-s - 1, 0), (0, -s - 2)]))),
        _ => area.draw(&(centre + path(vec![(-s, -s), (s, s)]) + path(vec![(-s, s), (s, -s)]))),
    }
    .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_32_curves_differ_in_colour_or_dash() {
        let style = |k: usize| (PALETTE[k % PALETTE.len()], DASHES[dash_index(k)]);
        for a in 0..32 {
            for b in a + 1..32 {
                assert_ne!(style(a), style(b), "curves {a} and {b}");
            }
        }
    }
}
