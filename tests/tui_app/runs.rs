//! The Runs view: the table, marks, delete, new run from a run, resume, groups.

use super::*;

#[test]
fn runs_are_listed_damaged_included_and_sortable() {
    let mut a = app();
    a.update(ch('2'));
    a.update(store_listing());
    assert_eq!(a.runs.entries.len(), 4);
    let ids: Vec<&str> = a.runs.rows().map(|e| e.id()).collect();
    // Default: newest first; the damaged run (no start time) last.
    assert_eq!(ids[0], "20261120-130000-tutorial-mlp-a003");
    assert_eq!(ids[3], "20261120-140000-lenet-beef");

    a.update(ch('s')); // next column: Model, ascending
    assert_eq!(a.runs.sort, SortColumn::Model);
    let models: Vec<String> = a
        .runs
        .rows()
        .filter_map(|e| e.record())
        .map(|r| r.config.model.to_string())
        .collect();
    assert_eq!(models, ["cnn", "mlp", "tutorial-mlp"]);
    a.update(ch('S'));
    assert!(a.runs.descending);
    let first = a.runs.rows().next().unwrap().record().unwrap();
    assert_eq!(first.config.model, Preset::TutorialMlp);

    while a.runs.sort != SortColumn::ValAcc {
        a.update(ch('s'));
    }
    a.update(ch('S'));
    let best: Vec<Option<f32>> = a
        .runs
        .rows()
        .map(|e| e.record().and_then(|r| r.val_acc()))
        .collect();
    assert_eq!(best[0], Some(0.99));
    assert_eq!(best[2], None);
}

#[test]
fn cursor_stays_on_its_run_across_refreshes_and_sorts() {
    let mut a = app();
    a.update(ch('2'));
    a.update(store_listing());
    a.update(ch('j'));
    let id = a.runs.current().unwrap().id().to_string();
    a.update(ch('s'));
    assert_eq!(a.runs.current().unwrap().id(), id);
    a.update(store_listing());
    assert_eq!(a.runs.current().unwrap().id(), id);
}

#[test]
fn space_marks_runs_for_comparison_but_not_damaged_ones() {
    let mut a = app();
    a.update(ch('2'));
    a.update(store_listing());
    assert_eq!(a.runs.compared().len(), 1, "the cursor's run is previewed");
    a.update(ch(' '));
    a.update(ch('j'));
    a.update(ch(' '));
    assert_eq!(a.runs.marked.len(), 2);
    assert_eq!(a.runs.compared().len(), 2);
    a.update(key(KeyCode::End));
    a.update(ch(' '));
    assert_eq!(a.runs.marked.len(), 2);
    assert!(matches!(&a.notice, Some(Notice::Error(m)) if m.contains("damaged")));
    a.update(ch('c'));
    assert!(a.runs.marked.is_empty());
}

#[test]
fn delete_asks_first() {
    let mut a = app();
    a.update(ch('2'));
    a.update(store_listing());
    let id = a.runs.current().unwrap().id().to_string();
    a.update(ch('d'));
    assert!(matches!(&a.modal, Some(Modal::ConfirmDelete(d)) if d.0 == id));
    let fx = a.update(ch('n'));
    assert!(fx.is_empty());
    assert!(a.modal.is_none());
    a.update(ch('d'));
    // Unrelated keys keep the question open.
    assert!(a.update(ch('x')).is_empty());
    assert!(a.modal.is_some());
    let fx = a.update(ch('y'));
    assert!(matches!(fx.as_slice(), [Effect::DeleteRun(d)] if *d == id));
    let fx = a.update(Msg::Store(mnist_tui::tui::app::StoreMsg::Deleted {
        id: id.clone(),
        result: Ok(()),
    }));
    assert!(matches!(fx.as_slice(), [Effect::RefreshRuns]));
}

#[test]
fn damaged_runs_can_be_deleted() {
    let mut a = app();
    a.update(ch('2'));
    a.update(store_listing());
    a.update(key(KeyCode::End));
    a.update(ch('d'));
    a.update(ch('y'));
    assert!(matches!(&a.notice, Some(Notice::Info(m)) if m.contains("lenet-beef")));
}

#[test]
fn new_run_from_a_saved_runs_settings() {
    let mut a = app();
    a.update(ch('2'));
    a.update(store_listing());
    while a
        .runs
        .current()
        .unwrap()
        .record()
        .map(|r| r.config.model.clone())
        != Some(Preset::Cnn.model_name())
    {
        a.update(ch('j'));
    }
    a.update(ch('n'));
    assert_eq!(a.view, View::Train);
    assert_eq!(a.train.form.settings.model, Preset::Cnn);
    assert_eq!(a.train.form.settings.lr, 0.002);
    assert_eq!(a.train.form.settings.batch_size, 128);
    assert_eq!(a.train.form.field(), Field::Start);
}

#[test]
fn resume_asks_for_epochs_and_starts_a_resume_job() {
    let mut a = ready_app();
    a.update(ch('2'));
    a.update(store_listing());
    while a
        .runs
        .current()
        .unwrap()
        .record()
        .map(|r| r.config.model.clone())
        != Some(Preset::Mlp.model_name())
    {
        a.update(ch('j'));
    }
    let id = a.runs.current().unwrap().id().to_string();
    a.update(ch('r'));
    assert!(matches!(&a.modal, Some(Modal::Resume(d)) if d.id == id));
    type_str(&mut a, "2");
    let fx = a.update(key(KeyCode::Enter));
    match fx.as_slice() {
        [
            Effect::StartTraining(
                TrainJob::Resume {
                    run_id,
                    more_epochs,
                },
                _,
            ),
        ] => {
            assert_eq!(run_id, &id);
            assert_eq!(*more_epochs, Some(2));
        }
        other => panic!("unexpected effects {other:?}"),
    }
    assert_eq!(a.view, View::Train);
    let s = a.train.session.as_ref().unwrap();
    assert_eq!(s.epochs.len(), 3, "history is on the charts");
    assert_eq!(s.settings.epochs, 5);
}

#[test]
fn resuming_a_stopped_run_offers_the_rest_of_its_plan_and_finishes_it() {
    let mut a = ready_app();
    a.update(ch('2'));
    // Stopped after 2 of its 5 planned epochs.
    let mut stopped = record(5, Preset::Mlp, 0.001, 64, 2, 0.95);
    stopped.config.epochs = 5;
    stopped.status = mnist_tui::runs::RunStatus::Stopped;
    let id = stopped.id.clone();
    a.update(Msg::Store(mnist_tui::tui::app::StoreMsg::Listed {
        runs: vec![stopped],
        damaged: vec![],
        best: None,
    }));
    a.update(ch('r'));
    let Some(Modal::Resume(d)) = &a.modal else {
        panic!("no resume dialog: {:?}", a.modal)
    };
    assert_eq!((d.field.text(), d.rest_of_plan), ("3".to_string(), Some(3)));
    // Accepting the proposal finishes the plan (the trainer's bit-identical path)...
    let fx = a.update(key(KeyCode::Enter));
    match fx.as_slice() {
        [
            Effect::StartTraining(
                TrainJob::Resume {
                    run_id,
                    more_epochs,
                },
                _,
            ),
        ] => {
            assert_eq!((run_id, *more_epochs), (&id, None));
        }
        other => panic!("unexpected effects {other:?}"),
    }
    assert_eq!(a.train.session.as_ref().unwrap().settings.epochs, 5);
}

#[test]
fn wheel_scrolls_the_runs_table() {
    let mut a = app();
    a.update(Msg::Resize(80, 22));
    a.update(ch('2'));
    let runs: Vec<_> = (0..30)
        .map(|i| record(i, Preset::Mlp, 0.001, 64, 1, 0.9))
        .collect();
    a.update(Msg::Store(mnist_tui::tui::app::StoreMsg::Listed {
        runs,
        damaged: vec![],
        best: None,
    }));
    let visible = a.table_rows_visible();
    assert!(visible < 30);
    a.update(wheel(true, 10, 5));
    assert_eq!(a.runs.offset, 3);
    assert!(a.runs.cursor >= 3);
    a.update(wheel(false, 10, 5));
    assert_eq!(a.runs.offset, 0);
    a.update(key(KeyCode::End));
    assert_eq!(a.runs.cursor, 29);
    assert_eq!(a.runs.offset, 30 - visible);
}

#[test]
fn the_runs_view_groups_a_sweeps_runs_over_seeds() {
    let mut a = ready_app();
    let runs = sweep_runs(&[
        (0.01, 1, 0.90),
        (0.01, 2, 0.80),
        (0.1, 1, 0.70),
        (0.1, 2, 0.50),
    ]);
    show_sweep_groups(&mut a, runs);
    let Some(Modal::Groups(mnist_tui::tui::dialogs::groups::GroupsDialog { title, lines, .. })) =
        &a.modal
    else {
        panic!("{:?}", a.modal)
    };
    assert_eq!(title, "Sweep abcdef0123: 4 of 4 points finished");
    let text = lines.join("\n");
    assert!(
        text.contains("85.00%") && text.contains("80.00%–90.00%"),
        "{text}"
    );
    assert!(
        text.contains("60.00%") && text.contains("50.00%–70.00%"),
        "{text}"
    );
    assert!(lines.iter().any(|l| l.starts_with("* 0.01")), "{text}");
    assert!(text.contains("which setting matters"), "{text}");
    a.update(key(KeyCode::Esc));
    assert!(a.modal.is_none());
}

#[test]
fn a_sweep_over_networks_shows_its_accuracy_against_cost_frontier() {
    let mut a = ready_app();
    let mut runs = sweep_runs(&[
        (0.01, 1, 0.90),
        (0.01, 2, 0.92),
        (0.01, 1, 0.97),
        (0.01, 2, 0.96),
    ]);
    for (r, width) in runs.iter_mut().zip([16, 16, 64, 64]) {
        r.config.layers = format!("Flatten, Dense({width}), Relu, Dense(classes)")
            .parse()
            .unwrap();
    }
    show_sweep_groups(&mut a, runs);
    let Some(Modal::Groups(mnist_tui::tui::dialogs::groups::GroupsDialog { lines, .. })) = &a.modal
    else {
        panic!("{:?}", a.modal)
    };
    let text = lines.join("\n");
    assert!(
        text.contains("validation accuracy against parameters"),
        "{text}"
    );
    let front = lines
        .iter()
        .position(|l| l.starts_with("the frontier"))
        .unwrap();
    // 785·16 + 17·10 = 12,730 parameters, then 785·64 + 65·10 = 50,890.
    assert!(lines[front + 1].contains("12.7k") && lines[front + 1].contains("Dense(16)"));
    assert!(lines[front + 2].contains("50.9k") && lines[front + 2].contains("Dense(64)"));
}

/// A stopped Fashion-MNIST run (2 of its 5 epochs done).
fn stopped_fashion_run() -> mnist_tui::runs::RunRecord {
    let mut r = record(6, Preset::Mlp, 0.001, 64, 2, 0.85);
    r.config.dataset = "fashion-mnist".parse().unwrap();
    r.config.epochs = 5;
    r.dataset = dataset_info("fashion-mnist");
    r.status = mnist_tui::runs::RunStatus::Stopped;
    r
}

#[test]
fn resuming_a_run_of_another_dataset_loads_it_then_resumes() {
    let mut a = ready_app();
    let run = stopped_fashion_run();
    let id = run.id.clone();
    a.update(ch('2'));
    a.update(Msg::Store(mnist_tui::tui::app::StoreMsg::Listed {
        runs: vec![run],
        damaged: vec![],
        best: None,
    }));
    a.update(ch('r'));
    let fx = a.update(key(KeyCode::Enter));
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::StartTraining(..))),
        "MNIST is loaded, not the run's dataset: {fx:?}"
    );
    assert_eq!(loads(&fx), ["fashion-mnist"]);
    assert_eq!(a.view, View::Train);
    assert!(!a.run_active());
    assert!(
        matches!(&a.notice, Some(Notice::Info(n)) if n.contains("waiting for Fashion-MNIST")),
        "{:?}",
        a.notice
    );
    // Waiting: the run panel says so; starting another run or resuming is refused.
    assert!(a.update(ch('s')).is_empty());
    assert!(matches!(&a.notice, Some(Notice::Error(e)) if e.contains("waiting for Fashion-MNIST")));
    // The form's dataset does not take the turn of the waiting run's.
    assert!(loads(&a.update(Msg::Tick(Instant::now()))).is_empty());
    assert_eq!(a.data.name.as_str(), "fashion-mnist");
    // Loaded: the run resumes on it.
    let fx = a.update(Msg::Data(DataMsg::Loaded(fake_dataset("fashion-mnist", 4))));
    match fx.as_slice() {
        [
            Effect::StartTraining(
                TrainJob::Resume {
                    run_id,
                    more_epochs,
                },
                data,
            ),
        ] => {
            assert_eq!((run_id, *more_epochs), (&id, None));
            assert_eq!(data.info.name.as_str(), "fashion-mnist");
        }
        other => panic!("unexpected effects {other:?}"),
    }
    assert!(a.run_active() && a.train.waiting.is_none());
}

#[test]
fn a_run_waiting_for_its_dataset_can_be_cancelled() {
    let mut a = ready_app();
    a.update(ch('2'));
    a.update(Msg::Store(mnist_tui::tui::app::StoreMsg::Listed {
        runs: vec![stopped_fashion_run()],
        damaged: vec![],
        best: None,
    }));
    a.update(ch('r'));
    a.update(key(KeyCode::Enter));
    assert!(a.train.waiting.is_some());
    // Its files are missing: it keeps waiting (the data panel says how to get them).
    a.update(Msg::Data(DataMsg::Missing {
        name: "fashion-mnist".parse().unwrap(),
        message: "missing".into(),
        how: "put the four Fashion-MNIST files … in data/fashion-mnist".into(),
    }));
    assert!(a.train.waiting.is_some());
    // x cancels it; the form's dataset is loaded again.
    let fx = a.update(ch('x'));
    assert!(a.train.waiting.is_none());
    assert!(!fx.iter().any(|e| matches!(e, Effect::Control(_))));
    assert_eq!(loads(&fx), ["mnist"]);
}

#[test]
fn runs_that_differ_only_in_dataset_are_never_one_group() {
    use mnist_tui::sweep::group_runs;
    let mnist = record(1, Preset::Mlp, 0.001, 64, 2, 0.95);
    let mut fashion = record(2, Preset::Mlp, 0.001, 64, 2, 0.85);
    fashion.config = mnist.config.clone();
    fashion.config.dataset = "fashion-mnist".parse().unwrap();
    fashion.dataset = dataset_info("fashion-mnist");
    let mut fashion_seed = fashion.clone();
    fashion_seed.id = "20261120-150000-mlp-a00f".into();
    fashion_seed.config.seed += 1;
    let groups = group_runs(&[&mnist, &fashion, &fashion_seed]);
    assert_eq!(groups.len(), 2, "{groups:?}");
    assert_eq!(groups[0].runs, std::slice::from_ref(&mnist.id));
    assert_eq!(
        groups[1].runs,
        [fashion.id.clone(), fashion_seed.id.clone()]
    );
    // The Runs view groups the marked runs the same way, with a dataset column.
    let mut a = ready_app();
    a.update(ch('2'));
    a.update(Msg::Store(mnist_tui::tui::app::StoreMsg::Listed {
        runs: vec![mnist, fashion, fashion_seed],
        damaged: vec![],
        best: None,
    }));
    for _ in 0..3 {
        a.update(ch(' '));
        a.update(ch('j'));
    }
    a.update(ch('v'));
    let Some(Modal::Groups(mnist_tui::tui::dialogs::groups::GroupsDialog { lines, .. })) = &a.modal
    else {
        panic!("no groups dialog: {:?} {:?}", a.modal, a.notice)
    };
    let text = lines.join("\n");
    assert!(lines[0].contains("data"), "a dataset column:\n{text}");
    assert!(
        text.contains("fashion-mnist") && text.contains(" mnist"),
        "{text}"
    );
}

#[test]
fn the_runs_table_sorts_by_dataset() {
    let mut a = ready_app();
    a.update(ch('2'));
    let mut runs = vec![
        record(1, Preset::Mlp, 0.001, 64, 2, 0.95),
        stopped_fashion_run(),
    ];
    runs[0].config.dataset = "kmnist".parse().unwrap();
    a.update(Msg::Store(mnist_tui::tui::app::StoreMsg::Listed {
        runs,
        damaged: vec![],
        best: None,
    }));
    while a.runs.sort != SortColumn::Dataset {
        a.update(ch('s'));
    }
    let datasets: Vec<String> = a
        .runs
        .rows()
        .filter_map(|e| e.record())
        .map(|r| r.config.dataset.to_string())
        .collect();
    assert_eq!(datasets, ["fashion-mnist", "kmnist"]);
}

/// A store in a temporary folder holding one finished mlp run with its weights, and
/// the run's id.
fn store_with_a_trained_run(dir: &std::path::Path) -> (mnist_tui::runs::RunStore, String) {
    use mnist_tui::runs::{RunRecord, RunStatus, RunStore};
    let store = RunStore::new(dir.join("runs"));
    let at = time::macros::datetime!(2026-11-21 09:00:00 UTC);
    let id = store.create_run_dir(&Preset::Mlp.model_name(), at).unwrap();
    mnist_tui::model::Network::preset(Preset::Mlp, 7)
        .save(&store.weights_path(&id))
        .unwrap();
    let mut r = RunRecord::new(
        id.clone(),
        mnist_tui::train::TrainSettings::preset(Preset::Mlp),
        at,
    );
    r.status = RunStatus::Finished;
    store.save_record(&r).unwrap();
    (store, id)
}

/// Performs the exports among `effects` as the runtime does (here, not on a thread)
/// and feeds their results back.
fn perform_exports(
    a: &mut mnist_tui::tui::app::App,
    store: &mnist_tui::runs::RunStore,
    effects: Vec<Effect>,
) {
    for e in effects {
        if let Effect::Export { format, ids, out } = e {
            let result = mnist_tui::tui::runs::export::export(store, format, &ids, &out);
            a.update(Msg::Exported { out, result });
        }
    }
}

fn export_dialog(a: &mnist_tui::tui::app::App) -> &mnist_tui::tui::dialogs::export::ExportDialog {
    match &a.modal {
        Some(Modal::Export(d)) => d,
        other => panic!("no export dialog: {other:?} ({:?})", a.notice),
    }
}

#[test]
fn e_exports_the_selected_run_to_onnx_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let (store, id) = store_with_a_trained_run(dir.path());
    let mut a = app();
    a.update(ch('2'));
    for m in mnist_tui::tui::tasks::list_store(&store) {
        a.update(Msg::Store(m));
    }
    assert_eq!(a.runs.current().map(|e| e.id()), Some(id.as_str()));
    a.update(ch('e'));
    let d = export_dialog(&a);
    assert_eq!(d.format().name, "onnx", "the table's first format");
    assert_eq!(d.path.text(), format!("exports/{id}.onnx"));
    // Not the test's current folder: a path of the temporary one, typed over the proposal.
    let out = dir.path().join("out").join("model.onnx");
    type_str(&mut a, &out.display().to_string());
    let effects = a.update(key(KeyCode::Enter));
    assert!(a.modal.is_none());
    match effects.as_slice() {
        [
            Effect::Export {
                format,
                ids,
                out: to,
            },
        ] => {
            assert_eq!(
                (*format, ids.as_slice(), to),
                ("onnx", [id.clone()].as_slice(), &out)
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(&a.notice, Some(Notice::Info(m)) if m.starts_with(&format!("Exporting {id} as onnx"))),
        "{:?}",
        a.notice
    );
    perform_exports(&mut a, &store, effects);
    let bytes = std::fs::read(&out).expect("the ONNX file is written");
    assert!(
        bytes.windows(9).any(|w| w == b"mnist-tui"),
        "an ONNX model made by us ({} bytes)",
        bytes.len()
    );
    assert_eq!(
        a.notice,
        Some(Notice::Info(format!(
            "Exported 1 file to {}",
            out.display()
        )))
    );
}

#[test]
fn a_failed_export_says_why_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (store, id) = store_with_a_trained_run(dir.path());
    std::fs::remove_file(store.weights_path(&id)).unwrap();
    let mut a = app();
    a.update(ch('2'));
    for m in mnist_tui::tui::tasks::list_store(&store) {
        a.update(Msg::Store(m));
    }
    a.update(ch('e'));
    let out = dir.path().join("model.onnx");
    type_str(&mut a, &out.display().to_string());
    let effects = a.update(key(KeyCode::Enter));
    perform_exports(&mut a, &store, effects);
    let Some(Notice::Error(m)) = &a.notice else {
        panic!("{:?}", a.notice)
    };
    assert!(
        m.starts_with(&format!("Export to {} failed", out.display())),
        "{m}"
    );
    assert!(
        m.contains("model.safetensors"),
        "names the missing weights: {m}"
    );
    assert!(!out.exists());
}

#[test]
fn the_export_dialog_takes_the_marks_and_refuses_an_empty_path() {
    let mut a = app();
    a.update(ch('2'));
    a.update(store_listing());
    a.update(ch(' '));
    a.update(ch('j'));
    a.update(ch(' '));
    let selected = a.runs.current().unwrap().id().to_string();
    a.update(ch('e'));
    let d = export_dialog(&a);
    assert_eq!(d.selected.as_deref(), Some(selected.as_str()));
    assert_eq!(d.marked, a.runs.marked);
    // A model format exports the selected run, marks or not.
    assert!(!d.format().many_runs());
    assert_eq!(d.ids(), [selected.as_str()]);
    // Esc cancels; an emptied path is refused in the dialog, which stays.
    assert!(a.update(key(KeyCode::Esc)).is_empty());
    assert!(a.modal.is_none());
    a.update(ch('e'));
    a.update(key(KeyCode::End));
    for _ in 0..200 {
        a.update(key(KeyCode::Backspace));
    }
    assert!(a.update(key(KeyCode::Enter)).is_empty());
    let e = export_dialog(&a).path.error.clone().unwrap_or_default();
    assert!(e.contains("where to write"), "{e}");
    // A damaged run alone has nothing to export: the key says so and opens nothing.
    a.update(key(KeyCode::Esc));
    a.update(ch('c'));
    a.update(key(KeyCode::End));
    assert!(a.update(ch('e')).is_empty());
    assert!(a.modal.is_none());
    assert!(
        matches!(&a.notice, Some(Notice::Error(m)) if m.contains("cannot be read")),
        "{:?}",
        a.notice
    );
}
