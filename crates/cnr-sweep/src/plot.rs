//! The plots of a sweep, as SVG and PNG, drawn with plotters and the DejaVu Sans font embedded in
//! the binary (no system font or library is used):
//!
//! - `success.svg`/`.png`: the success rate against the sweep's main numeric axis (`n/d`, else the
//!   sample count, else the first numeric axis), with its 95% Wilson interval as a band, one curve
//!   per value of the other axes and per method (the baseline dashed);
//! - `heatmap.svg`/`.png` (and `heatmap_gd.*` with the baseline): for a grid of two numeric axes,
//!   the success rate of every cell as a colour, with a colour bar.

use crate::grid::{Axis, Grid};
use crate::results::CellSummary;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::sync::OnceLock;

const WIDTH: u32 = 960;
const HEIGHT: u32 = 640;

/// Every file a sweep's plots may be written to (removed by `--force`).
pub fn file_names() -> Vec<String> {
    ["success", "heatmap", "heatmap_gd"]
        .iter()
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

/// One figure, drawn alike on every backend.
enum Figure<'a> {
    Lines { summaries: &'a [CellSummary], title: String },
    Heat { y: usize, cells: Vec<&'a CellSummary>, title: String },
}

/// The plots of a sweep's summaries, as (file name, bytes).
pub fn render(
    grid: &Grid,
    summaries: &[CellSummary],
    threshold: f64,
) -> Result<Vec<(String, Vec<u8>)>, String> {
    font()?;
    if summaries.is_empty() {
        return Ok(Vec::new());
    }
    let layout = Layout::of(grid);
    let mut figures = vec![(
        "success",
        Figure::Lines { summaries, title: format!("success: optimal and recovery error < {threshold:e}") },
    )];
    if let Some(y) = layout.heat_y {
        for (name, gd) in [("heatmap", false), ("heatmap_gd", true)] {
            let cells: Vec<&CellSummary> = summaries.iter().filter(|s| (s.method == "gd") == gd).collect();
            if !cells.is_empty() {
                let which = if gd { "gradient descent" } else { "convex relaxation" };
                let title = format!("{which}: success rate (recovery error < {threshold:e})");
                figures.push((name, Figure::Heat { y, cells, title }));
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

fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    grid: &Grid,
    layout: &Layout,
    figure: &Figure,
) -> Result<(), String> {
    match figure {
        Figure::Lines { summaries, title } => line_plot(area, grid, layout, summaries, title),
        Figure::Heat { y, cells, title } => heat_map(area, grid, layout, *y, cells, title),
    }
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

/// Which axis is the plot's x axis, and which (if any) the heat map's y axis.
struct Layout {
    x: Option<usize>,
    heat_y: Option<usize>,
}

impl Layout {
    fn of(grid: &Grid) -> Layout {
        let varied: Vec<usize> = (0..grid.axes.len()).filter(|&k| grid.axes[k].len() > 1).collect();
        let pick = |want: fn(&Axis) -> bool| varied.iter().copied().find(|&k| want(&grid.axes[k]));
        let x = pick(|a| matches!(a, Axis::Ratio { .. }))
            .or_else(|| pick(|a| matches!(a, Axis::Samples { .. })))
            .or_else(|| pick(Axis::is_numeric));
        let others: Vec<usize> = varied.iter().copied().filter(|&k| Some(k) != x).collect();
        let heat_y = match others.as_slice() {
            [y] if grid.axes[*y].is_numeric() && x.is_some() => Some(*y),
            _ => None,
        };
        Layout { x, heat_y }
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

/// A summary's value on the x axis.
fn x_of(grid: &Grid, layout: &Layout, s: &CellSummary) -> f64 {
    match layout.x {
        Some(k) => grid.values(s.cell)[k].number().unwrap_or(0.0),
        None => s.samples as f64,
    }
}

/// A curve of a line plot: its label, its group (the values of the axes other than x; the
/// relaxation and the baseline of one group share a colour), whether it is the baseline, and its
/// cells along x.
struct Curve<'a> {
    label: String,
    group: usize,
    gd: bool,
    cells: Vec<&'a CellSummary>,
}

/// The summaries grouped by the values of every axis but x, and by method, sorted along x.
fn curves<'a>(grid: &Grid, layout: &Layout, summaries: &'a [CellSummary]) -> Vec<Curve<'a>> {
    let mut out: Vec<Curve> = Vec::new();
    let mut groups: Vec<String> = Vec::new();
    let with_baseline = summaries.iter().any(|s| s.method == "gd");
    for s in summaries {
        let values = grid.values(s.cell);
        let parts: Vec<String> = grid
            .axes
            .iter()
            .enumerate()
            .filter(|(k, a)| Some(*k) != layout.x && a.len() > 1)
            .map(|(k, a)| match a {
                Axis::Activation { .. } => values[k].to_string(),
                _ => format!("{} = {}", a.column(), values[k]),
            })
            .collect();
        let key = parts.join(", ");
        let group = groups.iter().position(|g| *g == key).unwrap_or_else(|| {
            groups.push(key.clone());
            groups.len() - 1
        });
        let gd = s.method == "gd";
        let method = if gd { "gradient descent" } else { "relaxation" };
        let label = match (key.is_empty(), with_baseline) {
            (true, _) => method.to_string(),
            (false, true) => format!("{key}, {method}"),
            (false, false) => key.clone(),
        };
        match out.iter_mut().find(|c| c.label == label) {
            Some(c) => c.cells.push(s),
            None => out.push(Curve { label, group, gd, cells: vec![s] }),
        }
    }
    for c in &mut out {
        c.cells.sort_by(|a, b| x_of(grid, layout, a).total_cmp(&x_of(grid, layout, b)));
    }
    out
}

/// Curves beyond which the intervals are left out (they are in `summary.csv`): many overlapping
/// bands hide the curves they belong to.
const MAX_BANDS: usize = 4;

fn line_plot<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    grid: &Grid,
    layout: &Layout,
    summaries: &[CellSummary],
    title: &str,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    area.fill(&WHITE).map_err(e)?;
    let curves = curves(grid, layout, summaries);
    // The legend has a column of its own at the right, so that it hides no curve.
    let (plot_area, legend_area) = area.split_horizontally(WIDTH - 250);
    let raw: Vec<f64> = summaries.iter().map(|s| x_of(grid, layout, s)).collect();
    let (lo, hi) = raw.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
    // Values over two decades or more (n/d from 2 to 1,024, say) are drawn on a log axis: x is
    // plotted as log10(x) and the ticks are labelled with x itself.
    let log_x = lo > 0.0 && hi / lo >= 100.0;
    let to_x = move |x: f64| if log_x { x.log10() } else { x };
    let (lo, hi) = (to_x(lo), to_x(hi));
    let pad = if hi > lo { (hi - lo) * 0.03 } else { 0.5 };
    let mut chart = ChartBuilder::on(&plot_area)
        .caption(title, ("sans-serif", 20))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d((lo - pad)..(hi + pad), -0.02f64..1.02f64)
        .map_err(e)?;
    let x_desc = axis_label(layout.x.map(|k| &grid.axes[k])) + if log_x { " (log scale)" } else { "" };
    let tick = |v: &f64| {
        if log_x && (v - v.round()).abs() > 1e-9 {
            return String::new(); // a log axis is labelled at its decades only
        }
        let x = if log_x { 10f64.powf(v.round()) } else { *v };
        let text = format!("{x:.3}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .x_label_formatter(&tick)
        .y_desc("success rate")
        .label_style(("sans-serif", 16))
        .axis_desc_style(("sans-serif", 18))
        .draw()
        .map_err(e)?;
    let bands = curves.len() <= MAX_BANDS;
    for curve in &curves {
        let colour = Palette99::pick(curve.group).to_rgba();
        let x = |s: &CellSummary| to_x(x_of(grid, layout, s));
        let points: Vec<(f64, f64)> = curve.cells.iter().map(|s| (x(s), s.rate())).collect();
        if bands {
            // The 95% Wilson interval as a band: the upper ends along x, then the lower ends back.
            let mut band: Vec<(f64, f64)> = curve.cells.iter().map(|s| (x(s), s.wilson().1)).collect();
            band.extend(curve.cells.iter().rev().map(|s| (x(s), s.wilson().0)));
            chart.draw_series(std::iter::once(Polygon::new(band, colour.mix(0.1)))).map_err(e)?;
        }
        let style = ShapeStyle { color: colour, filled: false, stroke_width: 2 };
        if curve.gd {
            chart.draw_series(DashedLineSeries::new(points.clone(), 8, 5, style)).map_err(e)?;
        } else {
            chart.draw_series(LineSeries::new(points.clone(), style)).map_err(e)?;
        }
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, colour.filled()))).map_err(e)?;
    }
    // The legend: a line (two dashes for the baseline) and the label of each curve.
    let mut y = 70;
    for curve in &curves {
        let colour = Palette99::pick(curve.group).to_rgba();
        let style = ShapeStyle { color: colour, filled: false, stroke_width: 3 };
        let gap = if curve.gd { 6 } else { 0 };
        legend_area.draw(&PathElement::new(vec![(4, y), (14, y)], style)).map_err(e)?;
        legend_area.draw(&PathElement::new(vec![(14 + gap, y), (28, y)], style)).map_err(e)?;
        legend_area
            .draw(&Text::new(curve.label.clone(), (36, y - 8), ("sans-serif", 15).into_font().color(&BLACK)))
            .map_err(e)?;
        y += 24;
    }
    let note = if bands { "bands: 95% Wilson intervals" } else { "95% intervals: summary.csv" };
    legend_area
        .draw(&Text::new(note, (4, y + 12), ("sans-serif", 13).into_font().color(&BLACK)))
        .map_err(e)?;
    Ok(())
}

/// A colour for a rate in [0, 1]: the viridis map, interpolated between five of its stops.
fn colour(rate: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 5] =
        [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)];
    let t = rate.clamp(0.0, 1.0) * (STOPS.len() - 1) as f64;
    let k = (t.floor() as usize).min(STOPS.len() - 2);
    let f = t - k as f64;
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * f).round() as u8;
    let (a, b) = (STOPS[k], STOPS[k + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn heat_map<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    grid: &Grid,
    layout: &Layout,
    y_axis: usize,
    cells: &[&CellSummary],
    title: &str,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    area.fill(&WHITE).map_err(e)?;
    let x_axis = layout.x.expect("a heat map has an x axis");
    let (nx, ny) = (grid.axes[x_axis].len(), grid.axes[y_axis].len());
    let (main, bar) = area.split_horizontally(WIDTH - 130);
    let x_labels: Vec<String> = (0..nx).map(|k| grid.axes[x_axis].value(k).to_string()).collect();
    let y_labels: Vec<String> = (0..ny).map(|k| grid.axes[y_axis].value(k).to_string()).collect();
    let mut chart = ChartBuilder::on(&main)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(-0.5f64..(nx as f64 - 0.5), -0.5f64..(ny as f64 - 0.5))
        .map_err(e)?;
    let label_at = |labels: &[String], v: f64| -> String {
        let k = v.round();
        if (v - k).abs() < 1e-6 && k >= 0.0 && (k as usize) < labels.len() {
            labels[k as usize].clone()
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(nx.min(16))
        .y_labels(ny.min(16))
        .x_label_formatter(&|v| label_at(&x_labels, *v))
        .y_label_formatter(&|v| label_at(&y_labels, *v))
        .x_desc(axis_label(Some(&grid.axes[x_axis])))
        .y_desc(axis_label(Some(&grid.axes[y_axis])))
        .label_style(("sans-serif", 16))
        .axis_desc_style(("sans-serif", 18))
        .draw()
        .map_err(e)?;
    chart
        .draw_series(cells.iter().map(|s| {
            let at = grid.coordinates(s.cell);
            let (i, j) = (at[x_axis] as f64, at[y_axis] as f64);
            Rectangle::new([(i - 0.5, j - 0.5), (i + 0.5, j + 0.5)], colour(s.rate()).filled())
        }))
        .map_err(e)?;
    // The colour bar: a column of the map from 0 to 1, with its ticks.
    let mut bar_chart = ChartBuilder::on(&bar)
        .margin_top(60)
        .margin_bottom(64)
        .margin_right(16)
        .y_label_area_size(48)
        .build_cartesian_2d(0.0f64..1.0, 0.0f64..1.0)
        .map_err(e)?;
    bar_chart
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(6)
        .y_desc("success rate")
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 16))
        .draw()
        .map_err(e)?;
    let steps = 100;
    bar_chart
        .draw_series((0..steps).map(|k| {
            let (a, b) = (k as f64 / steps as f64, (k + 1) as f64 / steps as f64);
            Rectangle::new([(0.0, a), (1.0, b)], colour((a + b) / 2.0).filled())
        }))
        .map_err(e)?;
    Ok(())
}
