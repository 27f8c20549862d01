//! The results: one row per measure, the table, and the JSON file.

use std::time::Instant;

use serde_json::json;

use crate::workers;

#[derive(Clone, Copy)]
/// What a row's numbers are held to.
pub(crate) enum Goal {
    /// ratio ≥ x (throughput).
    RatioAtLeast(f64),
    /// ratio ≤ x (latency, memory).
    RatioAtMost(f64),
    /// ratio ≤ x and agentwire ≤ y.
    RatioAndAbsolute(f64, f64),
    /// agentwire ≤ y (reported).
    AbsoluteAtMost(f64),
    None,
}

/// One line of the table: a measure's median on each side, and its goal.
pub(crate) struct Row {
    name: &'static str,
    unit: &'static str,
    agentwire: f64,
    baseline: f64,
    goal: Goal,
    /// Repetitions the medians are taken over.
    reps: usize,
}

impl Row {
    /// The row of `name`: the median of `measure` over each side's
    /// repetitions, as [`both`](crate::scenarios::both) returns them.
    pub(crate) fn median<T>(
        name: &'static str,
        unit: &'static str,
        [agentwire, baseline]: &[Vec<T>; 2],
        measure: fn(&T) -> f64,
        goal: Goal,
    ) -> Row {
        let side = |reps: &[T]| median(reps.iter().map(measure).collect());
        Row {
            name,
            unit,
            agentwire: side(agentwire),
            baseline: side(baseline),
            goal,
            reps: agentwire.len().max(baseline.len()),
        }
    }

    fn ratio(&self) -> f64 {
        self.agentwire / self.baseline
    }

    fn target(&self) -> String {
        match self.goal {
            Goal::RatioAtLeast(x) => format!("ratio ≥ {x}"),
            Goal::RatioAtMost(x) => format!("ratio ≤ {x}"),
            Goal::RatioAndAbsolute(x, y) => format!("ratio ≤ {x}, ≤ {y} {}", self.unit),
            Goal::AbsoluteAtMost(y) => format!("≤ {y} {}", self.unit),
            Goal::None => "reported".to_owned(),
        }
    }

    fn met(&self) -> bool {
        match self.goal {
            Goal::RatioAtLeast(x) => self.ratio() >= x,
            Goal::RatioAtMost(x) => self.ratio() <= x,
            Goal::RatioAndAbsolute(x, y) => self.ratio() <= x && self.agentwire <= y,
            Goal::AbsoluteAtMost(y) => self.agentwire <= y,
            Goal::None => true,
        }
    }
}

pub(crate) fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

pub(crate) fn fmt_num(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Prints the table, writes it to `target/bench/delivery.json`, and says
/// where.
pub(crate) fn report(rows: &[Row], reps: usize, started: Instant) {
    println!();
    println!(
        "{:<18} {:>9} {:>12} {:>12} {:>7}  {:<26} met",
        "scenario", "unit", "agentwire", "baseline", "ratio", "target"
    );
    for row in rows {
        println!(
            "{:<18} {:>9} {:>12} {:>12} {:>7.2}  {:<26} {}",
            row.name,
            row.unit,
            fmt_num(row.agentwire),
            fmt_num(row.baseline),
            row.ratio(),
            row.target(),
            if row.met() { "yes" } else { "NO" }
        );
    }
    let json = json!({
        "machine": {
            "nproc": workers(),
            "cpu": cpu_model(),
        },
        "repetitions": reps,
        "scenarios": rows.iter().map(|r| json!({
            "name": r.name,
            "unit": r.unit,
            "agentwire": r.agentwire,
            "baseline": r.baseline,
            "ratio": r.ratio(),
            "repetitions": r.reps,
        })).collect::<Vec<_>>(),
    });
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).expect("target/bench");
    let path = dir.join("delivery.json");
    std::fs::write(&path, serde_json::to_string_pretty(&json).unwrap()).expect("write json");
    // Rows measured more often than the rest say so, a run of such rows
    // of one scenario at once.
    let mut more = String::new();
    for group in rows.chunk_by(|a, b| a.reps == b.reps) {
        let (first, last) = (&group[0], &group[group.len() - 1]);
        if first.reps > reps {
            more += &match group.len() {
                1 => format!(", {} of {}", first.name, first.reps),
                _ => format!(", {}..{} of {}", first.name, last.name, first.reps),
            };
        }
    }
    println!(
        "\n{} on {} ({} cores), median of {reps}{more}; {:.0}s; wrote {}",
        rows.len(),
        cpu_model(),
        workers(),
        started.elapsed().as_secs_f64(),
        path.display()
    );
}
