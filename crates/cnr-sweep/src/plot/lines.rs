//! The line figures: success rate, recovery error, losses against the x axis.

use super::{axis_label, decade_label, log_ticks, method_name, Layout, Metric, WIDTH};
use crate::grid::{Axis, Grid, Value};
use crate::results::{method_order, summary_method, CellSummary, Known, Quantiles, Row};
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;

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
    pub group: usize,
    pub method: usize,
    pub points: Vec<Point>,
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
    let mut groups: Vec<String> = Vec::new();
    // (label, group, method, the rows at each x)
    type Pooled<'r> = (String, usize, usize, Vec<(f64, Vec<&'r Row>)>);
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
        let group = groups.iter().position(|g| *g == key).unwrap_or_else(|| {
            groups.push(key.clone());
            groups.len() - 1
        });
        let method = method_name(&row.method);
        let label = match (key.is_empty(), several_methods) {
            (true, _) => method.to_string(),
            (false, true) => format!("{key}, {method}"),
            (false, false) => key,
        };
        let index = pooled.iter().position(|c| c.0 == label).unwrap_or_else(|| {
            pooled.push((label, group, usize::from(method_order(&row.method)), Vec::new()));
            pooled.len() - 1
        });
        let x = x_of(grid, layout, row);
        let points = &mut pooled[index].3;
        match points.iter_mut().find(|p| p.0 == x) {
            Some(p) => p.1.push(row),
            None => points.push((x, vec![row])),
        }
    }
    pooled
        .into_iter()
        .map(|(label, group, method, mut points)| {
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            let points = points
                .into_iter()
                .map(|(x, rows)| Point { x, summary: CellSummary::of(&rows, known) })
                .collect();
            Curve { label, group, method, points }
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

pub(super) fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    grid: &Grid,
    layout: &Layout,
    metric: Metric,
    curves: &[Curve],
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let all: Vec<Vec<Series>> = curves.iter().map(|c| series(metric, c)).collect();
    let styles = Styles::of(curves);
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
    let x_axis = layout.x.map(|k| &grid.axes[k]);
    let text_x = x_axis.is_some_and(|a| !a.is_numeric());
    let xs: Vec<f64> = curves.iter().flat_map(|c| c.points.iter().map(|p| p.x)).collect();
    let to_x = |x: f64| if layout.log_x { x.log10() } else { x };
    let (lo, hi) =
        xs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(to_x(x)), b.max(to_x(x))));
    let pad = if text_x {
        0.5
    } else if hi > lo {
        (hi - lo) * 0.03
    } else {
        0.5
    };
    let log_y = metric != Metric::Rate;
    let flat: Vec<Series> = all.iter().flatten().cloned().collect();
    let (y_lo, y_hi) = if log_y { decades(&flat) } else { (-0.02, 1.02) };
    let to_y = |v: f64| {
        if !log_y {
            v
        } else if v.is_nan() || v <= 0.0 {
            y_lo
        } else {
            v.log10().clamp(y_lo, y_hi)
        }
    };
    let mut chart = ChartBuilder::on(&plot_area)
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d((lo - pad)..(hi + pad), y_lo..y_hi)
        .map_err(e)?;
    let mut x_desc = axis_label(x_axis);
    if layout.log_x {
        x_desc += " (log scale)";
    }
    let y_desc = match metric {
        Metric::Rate => "success rate".to_string(),
        Metric::Error => "recovery error (log scale; median, 10–90% band)".into(),
        Metric::Loss => "mean squared error (log scale; median, 10–90% band)".into(),
    };
    let names: Vec<String> =
        x_axis.map_or(Vec::new(), |a| (0..a.len()).map(|k| a.value(k).to_string()).collect());
    let x_tick = |v: &f64| {
        if text_x {
            let k = v.round();
            return if (v - k).abs() < 1e-6 && k >= 0.0 {
                names.get(k as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            };
        }
        if layout.log_x {
            // Drawn below by `log_ticks`, where they belong.
            return String::new();
        }
        let text = format!("{v:.3}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    let y_tick = |v: &f64| if log_y { decade_label(*v) } else { format!("{v:.1}") };
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(x_desc)
        .x_label_formatter(&x_tick)
        .y_label_formatter(&y_tick)
        .y_desc(y_desc)
        .label_style(("sans-serif", 16))
        .axis_desc_style(("sans-serif", 17))
        .light_line_style(WHITE);
    if text_x {
        mesh.x_labels(names.len().clamp(1, 16) * 2 + 1);
    }
    mesh.draw().map_err(e)?;
    if layout.log_x && !text_x {
        // The mesh places ticks at round numbers of log10 x, which are 1, 10, 100 only; these sit
        // at every decade (and its 2 and 5 on a short range), drawn in the mesh's label area.
        let base = plot_area.get_base_pixel();
        let font = ("sans-serif", 16).into_font().color(&BLACK);
        for (at, label) in log_ticks(lo, hi) {
            let (px, py) = chart.backend_coord(&(at, y_lo));
            let (px, py) = (px - base.0, py - base.1);
            plot_area.draw(&PathElement::new(vec![(px, py), (px, py + 5)], BLACK)).map_err(e)?;
            let width = 8 * label.chars().count() as i32;
            plot_area.draw(&Text::new(label, (px - width / 2, py + 8), font.clone())).map_err(e)?;
        }
    }
    for (i, (curve, series)) in curves.iter().zip(&all).enumerate() {
        let colour = styles.colour(curve);
        // Each curve's intervals as bars at its points, set a few pixels apart from the other
        // curves' (in the order of the legend), so that coinciding curves keep their intervals.
        let dodge = (2 * i as i32 - (curves.len() as i32 - 1)) * BAR_DODGE;
        for (test, points) in series {
            let at = |(x, y): (f64, f64)| (to_x(x), to_y(y));
            let bar = ShapeStyle { color: colour.mix(0.7), filled: false, stroke_width: 1 };
            for (x, (_, low, high)) in points {
                let (top, bottom) =
                    (chart.backend_coord(&at((*x, *high))), chart.backend_coord(&at((*x, *low))));
                let length = bottom.1 - top.1;
                let shape = EmptyElement::at(at((*x, *high)))
                    + PathElement::new(vec![(dodge, 0), (dodge, length)], bar)
                    + PathElement::new(vec![(dodge - 3, 0), (dodge + 3, 0)], bar)
                    + PathElement::new(vec![(dodge - 3, length), (dodge + 3, length)], bar);
                chart.plotting_area().draw(&shape).map_err(e)?;
            }
            let line: Vec<(f64, f64)> = points.iter().map(|(x, (v, _, _))| at((*x, *v))).collect();
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
            let size = 7 - (i as i32).min(3);
            for p in line {
                marker(chart.plotting_area(), p, styles.key(curve), size, colour)?;
            }
        }
    }
    legend(&legend_area, metric, curves, columns)
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
    let mut note = match metric {
        Metric::Rate => "bars: 95% Wilson intervals".to_string(),
        _ => "bars: 10% to 90% of the trials".into(),
    };
    if metric == Metric::Loss {
        note += "; solid: training loss, dashed: test loss";
    }
    let y = 10 + curves.len().div_ceil(columns) as i32 * 22;
    area.draw(&Text::new(note, (90, y - 6), ("sans-serif", 13).into_font().color(&BLACK))).map_err(e)?;
    Ok(())
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
