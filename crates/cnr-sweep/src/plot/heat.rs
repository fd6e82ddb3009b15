//! The heat map: the success rate of every cell of a grid of two numeric axes.

use super::{axis_label, Layout, WIDTH};
use crate::grid::{Axis, Grid};
use crate::results::CellSummary;
use plotters::coord::Shift;
use plotters::prelude::*;

/// A colour for a rate in [0, 1]: the viridis map (readable in grey and by colour-blind readers),
/// interpolated between five of its stops.
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

/// An axis's label, saying so when its values are unevenly spaced: the map gives every value a
/// column (or row) of the same width.
fn label(axis: &Axis) -> String {
    let values: Vec<f64> = (0..axis.len()).filter_map(|k| axis.value(k).number()).collect();
    let steps: Vec<f64> = values.windows(2).map(|w| w[1] - w[0]).collect();
    let even = steps.iter().all(|s| (s - steps[0]).abs() <= 1e-9 * steps[0].abs().max(1.0));
    if even {
        axis_label(Some(axis))
    } else {
        format!("{} (uneven values, evenly placed)", axis_label(Some(axis)))
    }
}

pub(super) fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    grid: &Grid,
    layout: &Layout,
    y_axis: usize,
    cells: &[CellSummary],
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let x_axis = layout.x.expect("a heat map has an x axis");
    let (nx, ny) = (grid.axes[x_axis].len(), grid.axes[y_axis].len());
    let (main, bar) = area.split_horizontally(WIDTH - 130);
    let x_labels: Vec<String> = (0..nx).map(|k| grid.axes[x_axis].value(k).to_string()).collect();
    let y_labels: Vec<String> = (0..ny).map(|k| grid.axes[y_axis].value(k).to_string()).collect();
    let mut chart = ChartBuilder::on(&main)
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
        .x_desc(label(&grid.axes[x_axis]))
        .y_desc(label(&grid.axes[y_axis]))
        .label_style(("sans-serif", 16))
        .axis_desc_style(("sans-serif", 17))
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
        .margin_top(16)
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
