//! `mnist-tui sweep`: run a sweep (point by point through the trainer `train` uses, or
//! `--jobs N` `train` processes at once), print its points as `train` commands, list,
//! show and resume sweeps; and `runs compare`.

use super::drive::{DataCache, Output, StopSignals, drive};
use super::{Context, ExitError};
use crate::cli::{SweepArgs, SweepCommand, SweepRunArgs};
use crate::runs::RunRecord;
use crate::sweep::report::{
    chart_by, find_chart_by, groups_json, groups_table, importance_text, settings_json,
};
use crate::sweep::{
    PointState, SweepFile, SweepStore, SweepTag, describe, group_runs, importance, plan,
    point_runs, point_states, seed_setting,
};
use crate::train::{SETTINGS, TrainError, TrainEvent, TrainJob, TrainSettings};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

/// A message as an error.
fn fail(message: String) -> anyhow::Error {
    anyhow::anyhow!(message)
}

/// `sweep …`: dispatches to running, listing, showing or resuming.
pub fn run(ctx: &Context, args: &SweepArgs) -> anyhow::Result<()> {
    let sweeps = SweepStore::new(ctx.store.root());
    match &args.command {
        Some(SweepCommand::List { json }) => list(ctx, *json),
        Some(SweepCommand::Show { id, by, json }) => show(ctx, id, by.as_deref(), *json),
        Some(SweepCommand::Resume { id, jobs }) => {
            let id = sweeps.resolve(id).map_err(fail)?;
            let file = sweeps.load(&id).map_err(fail)?;
            execute(ctx, &file, *jobs, false)
        }
        None => start(ctx, &args.run),
    }
}

/// Plans the sweep the flags describe, saves it (or finds it saved: the same command
/// names the same sweep) and runs it, or prints its commands.
fn start(ctx: &Context, a: &SweepRunArgs) -> anyhow::Result<()> {
    if a.jobs == 0 {
        return Err(fail("--jobs must be at least 1".into()));
    }
    let mut flags = a.settings.0.clone();
    if let Some(seeds) = &a.seeds {
        if flags.iter().any(|(s, _)| *s == seed_setting()) {
            return Err(fail(
                "give the seeds once: --seed LIST or --seeds LIST".into(),
            ));
        }
        flags.push((seed_setting(), seeds.clone()));
    }
    let planned = plan(&[&ctx.config.train], &flags, a.random, a.sweep_seed).map_err(fail)?;
    let sweeps = SweepStore::new(ctx.store.root());
    sweeps.save(&planned).map_err(fail)?;
    let file = sweeps.load(&planned.id).map_err(fail)?;
    if a.print_commands {
        return print_commands(ctx, &file);
    }
    execute(ctx, &file, a.jobs, a.json)
}

/// Prints `text` on stdout, or on stderr when stdout carries JSON. A closed stdout is
/// not an error.
fn say(json: bool, text: &str) {
    if json {
        let _ = writeln!(std::io::stderr(), "{text}");
    } else {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{text}").and_then(|()| out.flush());
    }
}

/// Writes `text` to stdout; a reader that has gone ends the output quietly.
fn emit(text: &str) -> anyhow::Result<()> {
    super::out::write(text).map(|_| ())
}

/// The runs in the store, damaged ones reported on stderr.
fn all_runs(ctx: &Context) -> anyhow::Result<Vec<RunRecord>> {
    let (runs, damaged) = ctx.store.list()?;
    for d in &damaged {
        let _ = writeln!(std::io::stderr(), "warning: skipped damaged {d}");
    }
    Ok(runs)
}

/// Runs every point of `file` that is not settled: new points start, stopped ones
/// continue from their last saved epoch; finished and failed ones are skipped, and so
/// are points another process is training. Holds the sweep's lock throughout.
fn execute(ctx: &Context, file: &SweepFile, jobs: usize, json: bool) -> anyhow::Result<()> {
    if jobs == 0 {
        return Err(fail("--jobs must be at least 1".into()));
    }
    let sweeps = SweepStore::new(ctx.store.root());
    let _lock = sweeps.lock(&file.id).map_err(fail)?;
    let runs = all_runs(ctx)?;
    let states = point_states(file, &runs);
    let n = file.points.len();
    let mut todo = Vec::new();
    for (i, state) in states.iter().enumerate() {
        let k = i + 1;
        match state {
            PointState::Finished(_) => {}
            PointState::Failed { run_id, reason } => say(
                json,
                &format!(
                    "point {k}/{n} failed before ({reason}); skipped (delete run {run_id} to \
                     try it again)"
                ),
            ),
            PointState::Running(id) => say(
                json,
                &format!("point {k}/{n} is being trained by another process (run {id}); skipped"),
            ),
            PointState::Todo | PointState::Resumable { .. } => todo.push((k, state.clone())),
        }
    }
    let finished = states
        .iter()
        .filter(|s| matches!(s, PointState::Finished(_)))
        .count();
    say(
        json,
        &format!(
            "sweep {} ({}): {n} points, {finished} finished, {} to train{}",
            file.id,
            swept_values(file),
            todo.len(),
            if jobs > 1 {
                format!(", {jobs} at a time")
            } else {
                String::new()
            }
        ),
    );
    if !todo.is_empty() {
        let signals = StopSignals::install()?;
        let stopped = if jobs == 1 {
            in_process(ctx, file, &todo, &signals, json)?
        } else {
            in_children(ctx, file, &todo, jobs, &signals, json)?
        };
        if stopped {
            return Err(ExitError {
                message: format!(
                    "stopped; the runs are saved. Run the same command, or `mnist-tui sweep \
                     resume {}`, to continue",
                    file.id
                ),
                code: signals.exit_code(),
            }
            .into());
        }
    }
    let runs = all_runs(ctx)?;
    if json {
        emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&sweep_json(file, &runs))?
        ))
    } else {
        emit(&sweep_text(file, &runs, None))
    }
}

/// Trains the points one after another in this process. Returns whether a signal
/// stopped the sweep.
fn in_process(
    ctx: &Context,
    file: &SweepFile,
    todo: &[(usize, PointState)],
    signals: &StopSignals,
    json: bool,
) -> anyhow::Result<bool> {
    let mut data = DataCache::default();
    let terminal = !json && std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
    let n = file.points.len();
    let swept = file.swept_settings();
    for (k, state) in todo {
        if signals.signal().is_some() {
            return Ok(true);
        }
        let point = &file.points[k - 1];
        let mut out = Output::new(terminal);
        out.set_label(format!("point {k}/{n}"));
        if json {
            out.lines_to_stderr();
        }
        let (job, how) = job_for(file, *k, state);
        out.print(format!("point {k}/{n}: {}{how}", describe(point, &swept)));
        let points_data = match data.for_job(&job, &ctx.data_dir, &ctx.store) {
            Ok(d) => d,
            Err(e) => {
                out.print(format!("point {k}/{n} failed: {e:#}; going on"));
                continue;
            }
        };
        let trained = drive(job, points_data, &ctx.store, signals, &mut out);
        match trained.outcome {
            Some(TrainEvent::Finished { .. }) => {}
            Some(TrainEvent::Stopped) => return Ok(true),
            Some(TrainEvent::Failed { reason }) => match trained.error {
                // Taken by another process since the states were read: not a failure.
                Some(TrainError::Locked(id)) => out.print(format!(
                    "point {k}/{n} is being trained by another process (run {id}); skipped"
                )),
                _ => out.print(format!("point {k}/{n} failed: {reason}; going on")),
            },
            _ => out.print(format!("point {k}/{n}: the trainer ended without a result")),
        }
    }
    Ok(signals.signal().is_some())
}

/// The trainer's job for point `k` in `state`, and how it is described.
fn job_for(file: &SweepFile, k: usize, state: &PointState) -> (TrainJob, String) {
    let how = match state {
        PointState::Resumable { run_id, done } => {
            format!(" (continuing run {run_id} after epoch {done})")
        }
        _ => String::new(),
    };
    (crate::sweep::job_for(file, k, state), how)
}

/// Trains up to `jobs` points at once, each as a `train` child process of this
/// binary with `RAYON_NUM_THREADS` set to its share of the threads; their lines are
/// forwarded prefixed with the point. A signal is passed on to the children (each
/// saves its run as stopped). Returns whether a signal stopped the sweep.
fn in_children(
    ctx: &Context,
    file: &SweepFile,
    todo: &[(usize, PointState)],
    jobs: usize,
    signals: &StopSignals,
    json: bool,
) -> anyhow::Result<bool> {
    let exe = std::env::current_exe()
        .map_err(|e| fail(format!("cannot find this program to start `train`: {e}")))?;
    let threads = (rayon::current_num_threads() / jobs).max(1);
    let n = file.points.len();
    let mut queue = todo.iter();
    let mut running: Vec<(usize, std::process::Child, Vec<std::thread::JoinHandle<()>>)> =
        Vec::new();
    let mut stopped = false;
    loop {
        while running.len() < jobs && signals.signal().is_none() {
            let Some((k, state)) = queue.next() else {
                break;
            };
            let args = point_args(ctx, file, *k, state).map_err(fail)?;
            let mut child = std::process::Command::new(&exe)
                .args(&args)
                .env("RAYON_NUM_THREADS", threads.to_string())
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .map_err(|e| fail(format!("cannot start {}: {e}", exe.display())))?;
            signals.add_child(child.id());
            let label = format!("point {k}/{n}");
            let mut forwarders = Vec::new();
            if let Some(out) = child.stdout.take() {
                forwarders.push(forward(out, label.clone(), json));
            }
            if let Some(err) = child.stderr.take() {
                forwarders.push(forward(err, label, true));
            }
            running.push((*k, child, forwarders));
        }
        if running.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        let mut i = 0;
        while i < running.len() {
            match running[i].1.try_wait() {
                Ok(None) => i += 1,
                done => {
                    let (k, child, forwarders) = running.remove(i);
                    signals.remove_child(child.id());
                    for f in forwarders {
                        let _ = f.join();
                    }
                    match done.map(|s| s.and_then(|s| s.code())) {
                        Ok(Some(0)) => {}
                        Ok(Some(code)) if code > 128 => stopped = true,
                        Ok(code) => say(
                            json,
                            &format!(
                                "point {k}/{n} failed (train exited with {}); going on",
                                code.map_or("a signal".to_string(), |c| format!("code {c}"))
                            ),
                        ),
                        Err(e) => say(json, &format!("point {k}/{n}: cannot wait for it: {e}")),
                    }
                }
            }
        }
    }
    Ok(stopped || signals.signal().is_some())
}

/// Forwards a child's lines, each prefixed with `label`, to stderr or stdout.
fn forward(
    from: impl std::io::Read + Send + 'static,
    label: String,
    to_stderr: bool,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines() {
            let Ok(line) = line else { break };
            say(to_stderr, &format!("{label}: {line}"));
        }
    })
}

/// Point `k`'s value of every setting that applies to it as the text of its flag,
/// checked to read back as the same value (so a printed command trains exactly that
/// point; a setting that does not apply, such as momentum for Adam, would be refused as
/// a flag and changes nothing).
fn exact_flags(point: &TrainSettings) -> Result<Vec<String>, String> {
    let mut args = Vec::new();
    for row in SETTINGS.iter().filter(|row| row.applies_to(point)) {
        let text = row.show(point);
        let mut back = point.clone();
        row.parse_into(&mut back, &text)?;
        if !row.same(point, &back) {
            return Err(format!(
                "{} {text} does not read back exactly; cannot print its command",
                row.label.to_lowercase()
            ));
        }
        args.push(format!("--{}", row.flag));
        args.push(text);
    }
    Ok(args)
}

/// The arguments (after the program) of the `train` command for point `k` in `state`:
/// the runs and data folders (absolute), then every setting and the sweep tag, or the
/// run to continue.
fn point_args(
    ctx: &Context,
    file: &SweepFile,
    k: usize,
    state: &PointState,
) -> Result<Vec<String>, String> {
    let absolute = |p: &std::path::Path| -> PathBuf {
        std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
    };
    let mut args = vec![
        "--runs-dir".to_string(),
        absolute(ctx.store.root()).display().to_string(),
        "--data-dir".to_string(),
        absolute(&ctx.data_dir).display().to_string(),
        "train".to_string(),
    ];
    let point = &file.points[k - 1];
    match state {
        PointState::Resumable { run_id, done } => {
            args.extend([
                "--resume".to_string(),
                run_id.clone(),
                "--epochs".to_string(),
                point.epochs.saturating_sub(*done).max(1).to_string(),
            ]);
        }
        _ => {
            args.extend(exact_flags(point)?);
            let tag = SweepTag {
                id: file.id.clone(),
                point: k,
                points: file.points.len(),
            };
            args.extend(["--sweep".to_string(), tag.to_string()]);
        }
    }
    Ok(args)
}

/// `sweep --print-commands`: one shell-quoted `mnist-tui … train …` line per point that
/// is not settled (new ones tagged with the sweep, stopped ones continued); a summary
/// on stderr.
fn print_commands(ctx: &Context, file: &SweepFile) -> anyhow::Result<()> {
    let runs = all_runs(ctx)?;
    let states = point_states(file, &runs);
    let n = file.points.len();
    let mut o = String::new();
    let mut count = 0;
    for (i, state) in states.iter().enumerate() {
        let k = i + 1;
        match state {
            PointState::Todo | PointState::Resumable { .. } => {
                let args = point_args(ctx, file, k, state).map_err(fail)?;
                let words = std::iter::once("mnist-tui").chain(args.iter().map(String::as_str));
                let line = shlex::try_join(words)
                    .map_err(|e| fail(format!("cannot quote the command of point {k}: {e}")))?;
                writeln!(o, "{line}")?;
                count += 1;
            }
            PointState::Running(id) => {
                let _ = writeln!(
                    std::io::stderr(),
                    "point {k}/{n} is being trained now (run {id}); no command"
                );
            }
            PointState::Finished(_) | PointState::Failed { .. } => {}
        }
    }
    let _ = writeln!(
        std::io::stderr(),
        "sweep {}: {count} command(s) for {n} point(s); e.g. `mnist-tui sweep … \
         --print-commands | parallel -j 2`, then `mnist-tui sweep show {}`",
        file.id,
        file.id
    );
    emit(&o)
}

/// Each swept setting with its values, as `lr 0.01,0.1; seed 1,2`.
fn swept_values(file: &SweepFile) -> String {
    file.swept_settings()
        .iter()
        .map(|row| {
            let mut values: Vec<String> = Vec::new();
            for p in &file.points {
                let v = row.show(p);
                if !values.contains(&v) {
                    values.push(v);
                }
            }
            // A layer list is long and holds commas: one is shown, several are
            // counted (the table shows where they differ).
            match (row.step, values.as_slice()) {
                (crate::train::Step::Text, [one]) => format!("{} {one}", row.short),
                (crate::train::Step::Text, many) => {
                    format!("{}: {} lists", row.short, many.len())
                }
                _ => format!("{} {}", row.short, values.join(",")),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// How many points are in each state, as `6 finished, 1 stopped, 1 queued`.
fn state_counts(states: &[PointState]) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for s in states {
        match counts.iter_mut().find(|(w, _)| *w == s.word()) {
            Some((_, c)) => *c += 1,
            None => counts.push((s.word(), 1)),
        }
    }
    counts
        .iter()
        .map(|(w, c)| format!("{c} {w}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A sweep's header, grouped table, ranking and (with `by`) chart.
fn sweep_text(
    file: &SweepFile,
    runs: &[RunRecord],
    by: Option<crate::sweep::report::ChartBy>,
) -> String {
    let states = point_states(file, runs);
    let mine = point_runs(file, runs);
    let groups = group_runs(&mine);
    let mut o = String::new();
    let _ = writeln!(
        o,
        "sweep {}: {} points ({}); {}",
        file.id,
        file.points.len(),
        state_counts(&states),
        swept_values(file)
    );
    o.push_str(&groups_table(&groups));
    o.push_str(&importance_text(&importance(&groups)));
    if let Some(by) = by {
        o.push_str(&chart_by(&groups, by));
    }
    o
}

/// A sweep as one JSON object: its points with their state and run, and the groups.
fn sweep_json(file: &SweepFile, runs: &[RunRecord]) -> serde_json::Value {
    let states = point_states(file, runs);
    let swept = file.swept_settings();
    let points: Vec<serde_json::Value> = states
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let values = settings_json(&swept, &file.points[i]);
            serde_json::json!({
                "point": i + 1,
                "settings": values,
                "state": s.word(),
                "run": s.run_id(),
            })
        })
        .collect();
    let mine = point_runs(file, runs);
    let mut v = groups_json(&group_runs(&mine));
    if let Some(obj) = v.as_object_mut() {
        obj.insert("sweep".into(), file.id.clone().into());
        obj.insert(
            "swept".into(),
            swept.iter().map(|s| s.name).collect::<Vec<_>>().into(),
        );
        obj.insert("points".into(), points.into());
    }
    v
}

/// `sweep show ID`: the sweep's points, groups, ranking and (with `--by`) chart.
fn show(ctx: &Context, typed: &str, by: Option<&str>, json: bool) -> anyhow::Result<()> {
    let sweeps = SweepStore::new(ctx.store.root());
    let id = sweeps.resolve(typed).map_err(fail)?;
    let file = sweeps.load(&id).map_err(fail)?;
    let by = by.map(find_chart_by).transpose().map_err(fail)?;
    let runs = all_runs(ctx)?;
    if json {
        return emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&sweep_json(&file, &runs))?
        ));
    }
    emit(&sweep_text(&file, &runs, by))
}

/// `sweep list`: every saved sweep with its size and progress.
fn list(ctx: &Context, json: bool) -> anyhow::Result<()> {
    let sweeps = SweepStore::new(ctx.store.root());
    let runs = all_runs(ctx)?;
    let mut o = String::new();
    let mut all = Vec::new();
    for id in sweeps.ids().map_err(fail)? {
        match sweeps.load(&id) {
            Ok(file) => {
                let states = point_states(&file, &runs);
                if json {
                    all.push(serde_json::json!({
                        "sweep": id,
                        "points": file.points.len(),
                        "finished": states.iter().filter(|s| matches!(s, PointState::Finished(_))).count(),
                        "swept": file.swept,
                    }));
                } else {
                    writeln!(
                        o,
                        "{id}  {} points ({})  {}",
                        file.points.len(),
                        state_counts(&states),
                        swept_values(&file)
                    )?;
                }
            }
            Err(e) => {
                let _ = writeln!(std::io::stderr(), "warning: skipped damaged sweep: {e}");
            }
        }
    }
    if json {
        return emit(&format!("{}\n", serde_json::to_string_pretty(&all)?));
    }
    if o.is_empty() {
        writeln!(
            o,
            "no sweeps in {} (start one with `mnist-tui sweep --lr 0.01,0.1 --seeds 1,2`)",
            ctx.store.root().display()
        )?;
    }
    emit(&o)
}

/// A warning when `runs` were not all computed alike (threads, shards, CPU features or
/// build differ between their sessions): equal settings then need not give equal
/// numbers. Runs from before sessions were recorded are named as unknown.
pub fn computed_differently(runs: &[&RunRecord]) -> Option<String> {
    let mut kinds: Vec<(String, Vec<&str>)> = Vec::new();
    for r in runs {
        let mut seen: Vec<String> = Vec::new();
        for s in &r.sessions {
            let d = s.describe();
            if !seen.contains(&d) {
                seen.push(d);
            }
        }
        let key = if seen.is_empty() {
            "not recorded".to_string()
        } else {
            seen.join(", then ")
        };
        match kinds.iter_mut().find(|(k, _)| *k == key) {
            Some((_, ids)) => ids.push(&r.id),
            None => kinds.push((key, vec![&r.id])),
        }
    }
    if kinds.len() < 2 {
        return None;
    }
    let mut text = "warning: these runs were not all computed alike, so equal settings \
                    need not give equal numbers:"
        .to_string();
    for (kind, ids) in kinds {
        text.push_str(&format!("\n  {kind}: {}", ids.join(" ")));
    }
    Some(text)
}

/// `runs compare ID… [--sweep ID]`: the runs grouped over seeds, the ranking of the
/// settings that differ, and (with `--by`) a chart.
pub fn compare(
    ctx: &Context,
    ids: &[String],
    sweep: Option<&str>,
    by: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let by = by.map(find_chart_by).transpose().map_err(fail)?;
    let runs = all_runs(ctx)?;
    let mut chosen: Vec<&RunRecord> = Vec::new();
    if let Some(typed) = sweep {
        let sweeps = SweepStore::new(ctx.store.root());
        let file = sweeps
            .load(&sweeps.resolve(typed).map_err(fail)?)
            .map_err(fail)?;
        chosen.extend(point_runs(&file, &runs));
    }
    for typed in ids {
        let id = ctx.store.resolve_id(typed)?;
        let run = runs
            .iter()
            .find(|r| r.id == id)
            .ok_or_else(|| fail(format!("run {id} is damaged (see `mnist-tui runs list`)")))?;
        if !chosen.iter().any(|r| r.id == run.id) {
            chosen.push(run);
        }
    }
    if chosen.is_empty() {
        return Err(fail(
            "nothing to compare: give run ids or --sweep ID".into(),
        ));
    }
    if let Some(warning) = computed_differently(&chosen) {
        super::out::warn(warning);
    }
    let groups = group_runs(&chosen);
    if json {
        return emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&groups_json(&groups))?
        ));
    }
    let mut o = format!("{} run(s) in {} group(s)\n", chosen.len(), groups.len());
    o.push_str(&groups_table(&groups));
    o.push_str(&importance_text(&importance(&groups)));
    if let Some(by) = by {
        o.push_str(&chart_by(&groups, by));
    }
    emit(&o)
}
