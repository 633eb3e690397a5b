//! Every view drawn through ratatui's `TestBackend`, at a normal size (snapshots) and
//! at tiny sizes (no panic, a clear message).

mod tui_common;

use mnist_tui::config::ChartMarker;
use mnist_tui::tui::app::{App, DataMsg, Msg};
use mnist_tui::tui::theme::Theme;
use mnist_tui::tui::ui;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::KeyCode;
use ratatui::style::Color;
use tui_common::*;

fn draw(app: &App, w: u16, h: u16) -> Buffer {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| ui::render(f, app)).unwrap();
    t.backend().buffer().clone()
}

/// The buffer as plain text, one line per row, trailing spaces trimmed.
fn text(b: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..b.area.height {
        let mut line = String::new();
        for x in 0..b.area.width {
            line.push_str(b[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn screen(app: &mut App, w: u16, h: u16) -> String {
    app.update(Msg::Resize(w, h));
    text(&draw(app, w, h))
}

fn runs_app() -> App {
    let mut a = ready_app();
    a.update(ch('2'));
    a.update(store_listing());
    a
}

#[test]
fn train_view_idle() {
    let mut a = ready_app();
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("Settings"));
    assert!(s.contains("Learning rate"));
    assert!(s.contains("[ Start ]"));
    assert!(s.contains("ready (60000 / 10000)"));
    assert!(s.contains("Planned rate over 2 epochs"));
    insta::assert_snapshot!("train_idle_120x40", s);
}

#[test]
fn the_form_previews_the_planned_rate_over_the_whole_run() {
    let mut a = ready_app();
    let settings = &mut a.train.form.settings;
    settings.lr_schedule = mnist_tui::train::LrSchedule::OneCycle;
    settings.warmup = 0.5;
    settings.epochs = 4;
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("Planned rate over 4 epochs"), "{s}");
    insta::assert_snapshot!("train_form_preview_120x40", s);
    // Settings that cannot run say so instead of a curve.
    a.train.form.settings.warmup = 9.0;
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("(settings not valid)"), "{s}");
}

#[test]
fn train_view_while_training() {
    let mut a = training_app();
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("training"));
    assert!(s.contains("20261127-235211-mlp-3fa2"));
    assert!(s.contains("epoch 3 · batch 469/938"));
    assert!(
        s.contains("lr→0.0005"),
        "learning-rate change in the legend"
    );
    assert!(
        s.contains("lr, top 0.00299"),
        "the rate in effect is drawn: {s}"
    );
    assert!(s.contains("acc 97.00%"));
    assert!(s.contains("locked while training"));
    insta::assert_snapshot!("train_running_120x40", s);
}

#[test]
fn train_view_smoothed_log_scale() {
    let mut a = training_app();
    a.update(ch('m'));
    a.update(ch('L'));
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("Loss · log · smoothed"));
    assert!(s.contains("loss (EMA)"));
    assert!(s.contains("0.1"), "log axis labels are real values");
}

#[test]
fn train_view_finished_keeps_the_result() {
    let mut a = training_app();
    a.update(Msg::Train(mnist_tui::train::TrainEvent::Tested {
        epoch: 2,
        test_acc: 0.97,
        test_loss: 0.1,
    }));
    a.update(Msg::Train(mnist_tui::train::TrainEvent::Finished {
        test_acc: 0.97,
    }));
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("Finished: test accuracy 97.00%"), "{s}");
    assert!(s.contains("(weights of epoch 2)"), "{s}");
    assert!(s.contains("Run finished"));
}

#[test]
fn train_view_with_missing_data_says_what_to_do() {
    let mut a = app();
    a.update(mnist_missing(
        "data/train-images-idx3-ubyte: missing MNIST file",
    ));
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("Press D to download"));
    assert!(s.contains("MNIST_DATA_DIR"));
    assert!(s.contains("t10k-labels-idx1-ubyte"));
    insta::assert_snapshot!("train_missing_data_120x40", s);
}

#[test]
fn train_view_with_loading_and_broken_data() {
    let mut a = app();
    assert!(screen(&mut a, 120, 40).contains("Loading MNIST from data"));
    a.update(mnist_failed("data/t10k: bad magic 0x1234"));
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("bad magic 0x1234"));
    assert!(s.contains("MNIST error"));
}

#[test]
fn form_edit_shows_the_typed_text_and_errors() {
    let mut a = ready_app();
    a.train.form.select(4); // model, dataset, layers, optimizer, lr
    a.update(key(KeyCode::Enter));
    type_str(&mut a, "99");
    a.update(key(KeyCode::Enter));
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("99_"));
    assert!(s.contains("must be in (0, 10]"));
}

/// Ctrl-U, as the layer field takes it to clear its text.
fn ctrl_u() -> Msg {
    Msg::Key(ratatui::crossterm::event::KeyEvent::new(
        KeyCode::Char('u'),
        ratatui::crossterm::event::KeyModifiers::CONTROL,
    ))
}

#[test]
fn the_idle_form_shows_its_network_and_checks_layers_as_they_are_typed() {
    let mut a = ready_app();
    let layers = mnist_tui::tui::train::form::Field::named("layers").unwrap();
    a.train.form.select_field(layers);
    a.update(key(KeyCode::Enter));
    a.update(ctrl_u());
    type_str(&mut a, "Flatten, Densee(3)");
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("│ column 10: "), "the note says where:\n{s}");
    assert!(s.contains("Network: mlp · as typed"), "{s}");
    assert!(s.contains("Not a network:"), "{s}");
    assert!(s.contains("Densee"), "{s}");
    assert!(s.contains("Ctrl-U clear"), "the key bar:\n{s}");
    // Without Flatten, the layer at fault.
    a.update(ctrl_u());
    type_str(&mut a, "Dense(3), Dense(classes)");
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("│ layer 1 `Dense(3)`: needs"), "{s}");
    // A network: its summary, before Enter.
    a.update(ctrl_u());
    type_str(
        &mut a,
        "Conv(out: 4, kernel: 3, pad: 1), Relu, MaxPool(2), Flatten, Dense(classes)",
    );
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("│ ok: 7,890 params, "), "{s}");
    assert!(s.contains("14×14×4"), "{s}");
    insta::assert_snapshot!("train_layers_typed_120x40", s);
    // Applied: the form's network, its layers changed from the preset's.
    a.update(key(KeyCode::Enter));
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("Network: mlp · layers changed"), "{s}");
    assert!(s.contains("7,890"), "{s}");
    // The smallest size still shows the start of it.
    let s = screen(&mut a, 60, 20);
    assert!(s.contains("Network: mlp"), "{s}");
}

#[test]
fn the_save_network_dialog_names_the_files() {
    let mut a = ready_app();
    a.update(ch('w'));
    type_str(&mut a, "wide-mlp");
    let s = screen(&mut a, 120, 40);
    assert!(
        s.contains("Save the form's network (6 layers, 218,058 params) as:"),
        "{s}"
    );
    assert!(s.contains("> wide-mlp_"), "{s}");
    assert!(
        s.contains("[config.ron]") && s.contains(" networks.ron "),
        "{s}"
    );
    assert!(s.contains("Enter save  Tab which file  Esc cancel"), "{s}");
    insta::assert_snapshot!("save_network_120x40", s);
    a.update(key(KeyCode::Tab));
    let s = screen(&mut a, 120, 40);
    assert!(
        s.contains(" config.ron ") && s.contains("[networks.ron]"),
        "{s}"
    );
    assert!(
        s.contains("networks.ron: a networks file of its own"),
        "{s}"
    );
    // A refusal is shown in the box.
    a.update(ctrl_u());
    type_str(&mut a, "cnn");
    a.update(key(KeyCode::Enter));
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("'cnn' is a built-in network's name"), "{s}");
    // The smallest size draws it.
    assert!(screen(&mut a, 60, 20).contains("Save network"));
}

#[test]
fn the_export_dialog_shows_the_runs_the_formats_and_the_path() {
    use mnist_tui::interop::EXPORT_FORMATS;
    let mut a = runs_app();
    a.update(ch(' '));
    a.update(ch('j'));
    a.update(ch(' '));
    a.update(ch('e'));
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("┌ Export"), "{s}");
    assert!(s.contains("Export 20261120-120000-cnn-a002"), "{s}");
    assert!(
        s.contains("onnx exports one run's model: the selected run, not the 2 marked"),
        "{s}"
    );
    for row in EXPORT_FORMATS {
        assert!(
            s.contains(row.name) && s.contains(row.help),
            "{} in:\n{s}",
            row.name
        );
    }
    assert!(s.contains("▸ onnx"), "{s}");
    assert!(
        s.contains("> exports/20261120-120000-cnn-a002.onnx_"),
        "{s}"
    );
    assert!(s.contains("Enter export  Tab ↑↓ format  Esc cancel"), "{s}");
    insta::assert_snapshot!("export_120x40", s);
    // The next format, with its own default path.
    a.update(key(KeyCode::Tab));
    let next = &EXPORT_FORMATS[1 % EXPORT_FORMATS.len()];
    let s = screen(&mut a, 120, 40);
    assert!(s.contains(&format!("▸ {}", next.name)), "{s}");
    let path = next.default_out(&["20261120-120000-cnn-a002"]);
    assert!(s.contains(&format!("> {}_", path.display())), "{s}");
    // A refusal is shown in the box.
    a.update(ctrl_u());
    a.update(key(KeyCode::Enter));
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("Type where to write the export"), "{s}");
    // The smallest size draws it.
    assert!(screen(&mut a, 60, 20).contains("Export"));
}

#[test]
fn runs_view_lists_runs_and_damage() {
    let mut a = runs_app();
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("Runs (4, 1 damaged)"));
    assert!(
        s.contains("mlp-a001"),
        "ids without their date where the table is narrow"
    );
    assert!(s.contains("damaged"));
    assert!(s.contains("Val acc") && s.contains("Test acc"));
    insta::assert_snapshot!("runs_120x40", s);
}

#[test]
fn runs_view_compares_marked_runs() {
    let mut a = runs_app();
    a.update(ch(' '));
    a.update(ch('j'));
    a.update(ch(' '));
    let s = screen(&mut a, 120, 60);
    assert!(s.contains("2 marked"));
    assert!(s.contains("Settings (* differs)"));
    assert!(s.contains("*lr"), "differing settings are marked");
    assert!(s.contains("tutorial-mlp-a003") && s.contains("cnn-a002"));
    // Their networks differ: the layers, diffed layer by layer.
    assert!(s.contains("*layers"), "{s}");
    assert!(s.contains("│- tutorial-mlp-a003  + cnn-a002"), "{s}");
    assert!(s.contains("│+ Conv(out: 32, kernel: 3, pad: 1)"), "{s}");
    assert!(s.contains("│- Dense(256)") && s.contains("│= Relu"), "{s}");
    insta::assert_snapshot!("runs_compare_120x60", s);
    // Tall enough for the comparison to show equal settings too.
    let s = screen(&mut a, 120, 90);
    assert!(s.contains(" seed"), "equal settings are not marked:\n{s}");
    assert!(!s.contains("more line"), "the whole diff:\n{s}");
}

#[test]
fn runs_view_explains_a_damaged_run() {
    let mut a = runs_app();
    a.update(key(KeyCode::End));
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("is damaged"));
    assert!(s.contains("malformed at line 3"));
}

#[test]
fn run_details_dialog() {
    let mut a = runs_app();
    while a
        .runs
        .current()
        .and_then(|e| e.record())
        .map(|r| r.epochs.len())
        != Some(3)
    {
        a.update(ch('j'));
    }
    a.update(key(KeyCode::Enter));
    let s = screen(&mut a, 120, 70);
    assert!(s.contains("Run 20261120-110000-mlp-a001"));
    assert!(s.contains("batch size"));
    assert!(s.contains("TRAIN LOSS") && s.contains("VAL ACC"));
    assert!(s.contains("Learning-rate changes"));
    // The network layer by layer: shapes, parameters, totals.
    assert!(s.contains("Network: mlp"), "{s}");
    assert!(
        s.contains("2  Dense(256)             256     200,960"),
        "{s}"
    );
    assert!(s.contains("total                          218,058"), "{s}");
    insta::assert_snapshot!("run_details_120x70", s);
}

#[test]
fn empty_store() {
    let mut a = ready_app();
    a.update(ch('2'));
    a.update(Msg::Store(mnist_tui::tui::app::StoreMsg::Listed {
        runs: vec![],
        damaged: vec![],
        best: None,
    }));
    assert!(screen(&mut a, 120, 40).contains("No runs yet"));
}

/// The Digit view's drawing canvas, in terminal cells, on a 120 × 40 screen.
fn canvas_at_120x40() -> ratatui::layout::Rect {
    let body = mnist_tui::tui::layout::screen(ratatui::layout::Rect::new(0, 0, 120, 40))
        .unwrap()
        .body;
    mnist_tui::tui::digit::layout::canvas_cells(mnist_tui::tui::digit::layout::digit(body).big)
        .unwrap()
}

/// One click near the middle of the canvas of `a` (120 × 40): a stroke to predict.
fn click_the_canvas(a: &mut App) {
    use ratatui::crossterm::event::{MouseButton, MouseEventKind};
    let c = canvas_at_120x40();
    a.update(mouse(
        MouseEventKind::Down(MouseButton::Left),
        c.x + 28,
        c.y + 8,
    ));
}

#[test]
fn digit_view_drawing() {
    use ratatui::crossterm::event::{MouseButton, MouseEventKind};
    let mut a = digit_app();
    let c = canvas_at_120x40();
    update_settled(
        &mut a,
        mouse(MouseEventKind::Down(MouseButton::Left), c.x + 28, c.y + 5),
    );
    for y in 6..23 {
        update_settled(
            &mut a,
            mouse(MouseEventKind::Drag(MouseButton::Left), c.x + 28, c.y + y),
        );
    }
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("Canvas 28×28"));
    assert!(s.contains("Model input"));
    assert!(s.contains("Prediction"));
    assert!(s.contains("Digit "), "the predicted digit");
    assert!(s.contains('%'), "probabilities");
    insta::assert_snapshot!("digit_draw_120x40", s);
}

#[test]
fn a_panicking_digit_task_shows_its_failure_instead_of_loading() {
    use mnist_tui::tui::app::Effect;
    use mnist_tui::tui::digit::state::DigitEffect;
    use mnist_tui::tui::digit::tasks::{Task, guarded};
    let mut a = digit_app();
    let effects = a.update(ch('m'));
    let [Effect::Digit(load @ DigitEffect::LoadModel(_))] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    click_the_canvas(&mut a);
    assert!(screen(&mut a, 120, 40).contains("loading the model"));
    a.update(Msg::Digit(guarded(Task::of(load), || {
        panic!("weights on fire")
    })));
    let s = screen(&mut a, 120, 40);
    assert!(!s.contains("loading"), "{s}");
    assert!(
        s.contains("cannot load: the task crashed: weights on fire"),
        "{s}"
    );
}

/// The Digit view (120 × 40) after one click on its canvas: a prediction is asked for.
fn digit_app_with_a_stroke() -> App {
    let mut a = digit_app();
    click_the_canvas(&mut a);
    a
}

#[test]
fn a_failed_prediction_is_on_screen() {
    use mnist_tui::tui::digit::state::DigitMsg;
    let mut a = digit_app_with_a_stroke();
    assert!(screen(&mut a, 120, 40).contains("predicting…"));
    a.update(Msg::Digit(DigitMsg::Predicted {
        seq: a.digit.infer_seq,
        result: Err("the task crashed: boom".into()),
    }));
    let s = screen(&mut a, 120, 40);
    assert!(
        s.contains("│ cannot predict"),
        "in the Prediction panel:\n{s}"
    );
    assert!(
        s.contains("Cannot predict: the task crashed: boom"),
        "the whole reason in the key bar:\n{s}"
    );
}

#[test]
fn an_unsure_prediction_names_two_digits_not_one() {
    use mnist_tui::predict::Prediction;
    use mnist_tui::tui::digit::state::DigitMsg;
    let mut a = digit_app_with_a_stroke();
    // 52 % for 1, 41 % for 8: below the 60 % at which the model is sure.
    let mut row = [-10.0f32; 10];
    row[1] = 0.52f32.ln();
    row[8] = 0.41f32.ln();
    a.update(Msg::Digit(DigitMsg::Predicted {
        seq: a.digit.infer_seq,
        result: Ok(Prediction::from_outputs(&row)),
    }));
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("Model unsure: 1 or 8"), "{s}");
    assert!(!s.contains("Digit 1"), "{s}");
}

#[test]
fn digit_view_empty_and_tiny() {
    let mut a = app();
    a.update(ch('3'));
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("no finished run yet"));
    assert!(s.contains("nothing to classify yet"));
    let mut a = digit_app();
    let s = screen(&mut a, 60, 20);
    assert!(s.contains("Enlarge the terminal"), "{s}");
    for (w, h) in [(0, 0), (1, 1), (20, 5), (59, 19), (60, 20), (70, 33)] {
        screen(&mut a, w, h);
    }
    a.update(ch('o'));
    type_str(&mut a, "some/path.png");
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("Image path some/path.png█"), "{s}");
    // Home puts the cursor on the first character (drawn reversed, no end mark).
    a.update(key(KeyCode::Home));
    let s = screen(&mut a, 120, 40);
    assert!(
        s.contains("Image path some/path.png") && !s.contains("png█"),
        "{s}"
    );
}

#[test]
fn help_lists_every_key() {
    let mut a = app();
    a.update(ch('?'));
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("Everywhere") && s.contains("Train view"));
    insta::assert_snapshot!("help_120x40", s);
}

#[test]
fn quit_and_delete_dialogs() {
    let mut a = training_app();
    a.update(ch('q'));
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("Stop it (it is saved as stopped) and quit?"));
    insta::assert_snapshot!("confirm_quit_120x40", s);

    let mut b = runs_app();
    b.update(ch('d'));
    let s = screen(&mut b, 120, 40);
    assert!(s.contains("Delete this run"));
}

#[test]
fn key_bar_follows_the_context() {
    let mut a = ready_app();
    let last = |s: &str| s.lines().last().unwrap_or("").to_string();
    let s = screen(&mut a, 120, 40);
    assert!(last(&s).contains("s start"), "{}", last(&s));
    let mut t = training_app();
    t.notice = None;
    let s = screen(&mut t, 120, 40);
    assert!(last(&s).contains("p pause"), "{}", last(&s));
    t.update(mnist_tui::tui::app::Msg::Train(
        mnist_tui::train::TrainEvent::Paused,
    ));
    // A notice replaces the keys until the next key press.
    t.notice = None;
    let s = screen(&mut t, 120, 40);
    assert!(last(&s).contains("p resume"), "{}", last(&s));
    let mut r = runs_app();
    let s = screen(&mut r, 120, 40);
    assert!(last(&s).contains("Space mark"), "{}", last(&s));
}

#[test]
fn tiny_terminals_show_a_message_and_never_panic() {
    let apps: Vec<App> = vec![
        app(),
        training_app(),
        runs_app(),
        {
            let mut a = runs_app();
            a.update(key(KeyCode::Enter));
            a
        },
        {
            let mut a = app();
            a.update(ch('3'));
            a.update(ch('?'));
            a
        },
    ];
    for mut a in apps {
        let s = screen(&mut a, 20, 5);
        assert!(s.contains("Terminal too"), "{s}");
        for (w, h) in [
            (1, 1),
            (0, 0),
            (120, 0),
            (0, 40),
            (59, 19),
            (60, 20),
            (61, 21),
            (200, 60),
        ] {
            a.update(Msg::Resize(w, h));
            let _ = draw(&a, w, h);
        }
    }
}

#[test]
fn too_small_message_snapshot() {
    let mut a = app();
    insta::assert_snapshot!("too_small_20x5", screen(&mut a, 20, 5));
}

#[test]
fn smallest_usable_size_draws_every_view() {
    for view in ['1', '2', '3'] {
        let mut a = runs_app();
        a.update(ch(view));
        let s = screen(&mut a, 60, 20);
        assert!(s.contains("mnist-tui"), "{s}");
        assert!(!s.contains("Terminal too small"));
    }
}

#[test]
fn no_color_uses_no_colours() {
    let mut a = training_app();
    a.theme = Theme {
        color: false,
        marker: ChartMarker::Braille,
    };
    for view in ['1', '2'] {
        a.update(ch(view));
        let b = draw(&a, 120, 40);
        for cell in b.content() {
            assert!(
                matches!(cell.fg, Color::Reset) && matches!(cell.bg, Color::Reset),
                "coloured cell {cell:?}"
            );
        }
    }
    // Selection stays visible without colour.
    let b = draw(&a, 120, 40);
    assert!(
        b.content()
            .iter()
            .any(|c| c.modifier.contains(ratatui::style::Modifier::REVERSED))
    );
}

#[test]
fn ascii_marker_draws_charts_without_braille() {
    let mut a = training_app();
    a.theme.marker = ChartMarker::Ascii;
    let s = screen(&mut a, 120, 40);
    assert!(!s.chars().any(|c| ('\u{2800}'..='\u{28FF}').contains(&c)));
    assert!(s.contains('*') && s.contains('+'), "series use ASCII marks");

    let mut b = training_app();
    let s = screen(&mut b, 120, 40);
    assert!(
        s.chars().any(|c| ('\u{2800}'..='\u{28FF}').contains(&c)),
        "Braille by default"
    );
}

#[test]
fn digit_view_image_and_gallery() {
    use mnist_tui::data::{LoadedDataset, Samples};
    use mnist_tui::predict::{MistakeReport, find_mistakes};
    use mnist_tui::tui::digit::state::{DigitMsg, Gallery};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    // A dark "7" on light paper, off-centre.
    let mut img = image::GrayImage::from_pixel(90, 70, image::Luma([235]));
    for i in 0..30u32 {
        for t in 0..4u32 {
            img.put_pixel(20 + i, 10 + t, image::Luma([20]));
            img.put_pixel(48 - i / 2 - t, 12 + i * 2 / 2 + t / 2, image::Luma([20]));
        }
    }
    let path = dir.path().join("seven.png");
    img.save(&path).unwrap();
    let mut a = digit_app();
    a.update(ch('o'));
    type_str(&mut a, &path.display().to_string());
    a.update(key(KeyCode::Enter));
    let loaded =
        mnist_tui::tui::digit::tasks::load_image(&path, mnist_tui::data::Preparation::Digit)
            .unwrap();
    update_settled(
        &mut a,
        Msg::Digit(DigitMsg::ImageLoaded {
            path: path.clone(),
            result: Ok(Box::new(loaded)),
        }),
    );
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("Original"), "{s}");
    assert!(s.contains("Model input 28×28"));
    assert!(
        s.contains("inverted"),
        "dark ink on light is inverted:\n{s}"
    );
    assert!(s.contains("Digit "), "{s}");

    // The gallery of an (untrained) model on a few digits with pixels.
    let mut images = vec![0u8; 6 * 784];
    for (i, px) in images.iter_mut().enumerate() {
        if (i % 784) / 28 > 6 && (i % 784) / 28 < 22 && (i % 28) / 3 == (i / 784) + 2 {
            *px = 255;
        }
    }
    let test = Samples {
        images,
        labels: vec![0, 1, 2, 3, 4, 5],
    };
    let predictor = a.digit.predictor.clone().unwrap();
    let report: MistakeReport = find_mistakes(&predictor, &test).unwrap();
    let wrong = report.mistakes.len();
    let mnist = Arc::new(LoadedDataset {
        train: Samples {
            images: Vec::new(),
            labels: Vec::new(),
        },
        test,
        info: Default::default(),
    });
    a.update(Msg::Data(mnist_tui::tui::app::DataMsg::Loaded(mnist)));
    a.update(ch('g'));
    let id = a.digit.model_id.clone().unwrap();
    assert!(matches!(&a.digit.gallery, Some(Gallery::Loading(g)) if *g == id));
    assert!(screen(&mut a, 120, 40).contains("Classifying"));
    a.update(Msg::Digit(DigitMsg::Mistakes {
        id,
        result: Ok(Arc::new(report)),
    }));
    let s = screen(&mut a, 120, 40);
    assert!(s.contains(&format!("{wrong} of 6 wrong")), "{s}");
    assert!(s.contains("Confusion"));
    assert!(s.contains(" → "), "card titles");
    screen(&mut a, 60, 20);
    a.update(key(KeyCode::PageDown));
    a.update(key(KeyCode::Esc));
    assert!(screen(&mut a, 120, 40).contains("Original"));
}

/// Two finished runs that differ in `row` only (with SGD for a setting of SGD).
fn runs_differing_in(row: &mnist_tui::train::Setting) -> App {
    let mut a = record(1, mnist_tui::model::Preset::Mlp, 0.001, 64, 2, 0.95);
    if !row.applies_to(&a.config) {
        a.config.optimizer = mnist_tui::model::OptimizerKind::Sgd;
    }
    let mut b = record(2, mnist_tui::model::Preset::Mlp, 0.001, 64, 2, 0.95);
    b.config = a.config.clone();
    if row.step == mnist_tui::train::Step::Text {
        row.parse_into(&mut b.config, "Flatten, Dense(32), Relu, Dense(classes)")
            .unwrap();
    } else {
        assert!(row.step_in(&mut b.config, 1) || row.step_in(&mut b.config, -1));
    }
    runs_app_with(vec![a, b])
}

/// The Runs view listing `runs`.
fn runs_app_with(runs: Vec<mnist_tui::runs::RunRecord>) -> App {
    let mut app = ready_app();
    app.update(ch('2'));
    app.update(Msg::Store(mnist_tui::tui::app::StoreMsg::Listed {
        runs,
        damaged: vec![],
        best: None,
    }));
    app
}

#[test]
fn a_setting_of_another_optimizer_shows_not_applying_in_the_form_details_and_comparison() {
    let mut app = ready_app();
    // SGD chosen: Adam's betas and eps do not apply (dimmed n/a).
    let optimizer = mnist_tui::tui::train::form::Field::named("optimizer").unwrap();
    app.train.form.select_field(optimizer);
    app.update(key(KeyCode::Left));
    assert_eq!(
        app.train.form.settings.optimizer,
        mnist_tui::model::OptimizerKind::Sgd
    );
    let s = screen(&mut app, 120, 40);
    for label in ["Beta1", "Beta2", "Epsilon"] {
        let line = s.lines().find(|l| l.contains(label)).unwrap();
        assert!(line.contains("n/a"), "{line}");
    }
    let momentum = s.lines().find(|l| l.contains("Momentum")).unwrap();
    assert!(!momentum.contains("n/a"), "{momentum}");
    insta::assert_snapshot!("train_form_sgd_120x40", s);

    // Two Adam runs that differ only in a momentum (from config.ron): n/a in the
    // details; the comparison leaves out what applies to neither.
    let a = record(1, mnist_tui::model::Preset::Mlp, 0.001, 64, 2, 0.95);
    let mut b = record(2, mnist_tui::model::Preset::Mlp, 0.001, 64, 2, 0.95);
    b.config.momentum = 0.9;
    let momentum = mnist_tui::train::catalog::setting("momentum").unwrap();
    assert!(!momentum.applies_to(&a.config));
    let mut app = runs_app_with(vec![a, b]);
    app.update(key(KeyCode::Enter));
    let details = screen(&mut app, 120, 60);
    let line = details.lines().find(|l| l.contains(" momentum ")).unwrap();
    assert!(line.contains("n/a"), "{line}");
    app.update(key(KeyCode::Esc));
    app.update(ch(' '));
    app.update(ch('j'));
    app.update(ch(' '));
    let compare = screen(&mut app, 120, 40);
    assert!(compare.contains(" Settings (* differs) "), "{compare}");
    assert!(!compare.contains("momentum"), "{compare}");
    for row in mnist_tui::train::SETTINGS {
        let marked = format!("*{} ", row.short);
        assert!(
            !compare.contains(&marked),
            "{marked}: nothing differs\n{compare}"
        );
    }
    // Beside an SGD run, the Adam runs' momentum is n/a and differs.
    let mut sgd = record(3, mnist_tui::model::Preset::Mlp, 0.001, 64, 2, 0.95);
    sgd.config.optimizer = mnist_tui::model::OptimizerKind::Sgd;
    let a = record(1, mnist_tui::model::Preset::Mlp, 0.001, 64, 2, 0.95);
    let mut app = runs_app_with(vec![a, sgd]);
    app.update(ch(' '));
    app.update(ch('j'));
    app.update(ch(' '));
    let compare = screen(&mut app, 120, 40);
    let line = compare.lines().find(|l| l.contains("momentum")).unwrap();
    assert!(line.contains("*momentum") && line.contains("n/a"), "{line}");
    let line = compare.lines().find(|l| l.contains("beta1")).unwrap();
    assert!(line.contains("*beta1") && line.contains("n/a"), "{line}");
}

#[test]
fn every_setting_appears_in_the_form_the_details_and_the_comparison() {
    // Tall enough for the form to show every row without scrolling.
    let form = screen(&mut ready_app(), 120, 70);
    // A layer list is longer than a column: its start is shown (the network's own
    // summary and diff show the rest).
    let visible = |row: &mnist_tui::train::Setting, v: String| {
        if row.step == mnist_tui::train::Step::Text {
            v.chars().take(8).collect()
        } else {
            v
        }
    };
    for row in mnist_tui::train::SETTINGS {
        let mut app = runs_differing_in(row);
        let shown = |app: &App, i: usize| {
            let r = app.runs.entries[i].record().unwrap();
            row.show(&r.config)
        };
        let current = |app: &App| {
            let r = app.runs.current().and_then(|e| e.record()).unwrap();
            row.show(&r.config)
        };
        // The form: its label and the model's default value (or n/a) on one line.
        let value = visible(row, row.show_applied(&ready_app().train.form.settings));
        assert!(
            form.lines()
                .any(|l| l.contains(row.label) && l.contains(&value)),
            "form lacks {} = {value}\n{form}",
            row.label
        );
        // The details of the selected run: label and value on one line.
        let value = visible(row, current(&app));
        let label = row.label.to_lowercase();
        app.update(key(KeyCode::Enter));
        let details = screen(&mut app, 120, 60);
        assert!(
            details
                .lines()
                .any(|l| l.contains(&format!(" {label} ")) && l.contains(&value)),
            "details lack {label} = {value}\n{details}"
        );
        app.update(key(KeyCode::Esc));
        // The comparison: the two runs differ in this setting only, and it says so.
        app.update(ch(' '));
        app.update(ch('j'));
        app.update(ch(' '));
        let compare = screen(&mut app, 120, 40);
        let (v0, v1) = (visible(row, shown(&app, 0)), visible(row, shown(&app, 1)));
        assert!(
            compare
                .lines()
                .any(|l| l.contains(&format!("*{}", row.short))
                    && l.contains(&v0)
                    && l.contains(&v1)),
            "comparison does not mark {} ({v0} vs {v1}) as differing\n{compare}",
            row.short
        );
        for other in mnist_tui::train::SETTINGS.iter().filter(|o| *o != row) {
            assert!(
                !compare.contains(&format!("*{} ", other.short)),
                "{} is marked differing in runs that differ in {} only",
                other.short,
                row.name
            );
        }
    }
}

/// The key-bar line of `app` at 200×50 (wide enough for every entry).
fn key_bar_line(app: &mut App) -> String {
    app.notice = None;
    let s = screen(app, 200, 50);
    s.lines().last().unwrap_or("").to_string()
}

#[test]
fn every_key_in_the_table_is_handled_and_shown_in_help_and_the_key_bar() {
    use mnist_tui::tui::app::View;
    use mnist_tui::tui::keymap::{BINDINGS, Scope};
    // Help: every row's key and text, in the section of its scope.
    let a = app();
    let help: Vec<String> = mnist_tui::tui::dialogs::help::lines(&a)
        .iter()
        .map(|l| l.to_string())
        .collect();
    for b in BINDINGS {
        let title = b.scope.title();
        let start = help.iter().position(|l| l == title).unwrap();
        let section = help[start..].iter().take_while(|l| !l.is_empty());
        let shown = section
            .map(|l| l.split_once(b.help).map(|(keys, _)| keys.to_string()))
            .find_map(|k| k)
            .unwrap_or_else(|| panic!("help lacks {:?} in {title}", b.help));
        assert!(
            shown.split_whitespace().any(|k| k == b.key.to_string()),
            "help shows '{shown}' for {:?}, not its key {}",
            b.action,
            b.key
        );
    }
    // Handling: each key reaches its row's action in its view.
    for b in BINDINGS {
        let scopes = match b.scope {
            Scope::Global => vec![Scope::Train, Scope::Runs, Scope::Digit],
            s => vec![s],
        };
        for scope in scopes {
            let found = a.keys.action(scope, &b.key.to_event());
            if b.scope == Scope::Global && found != Some(b.action) {
                continue; // a view may give a global key its own meaning
            }
            assert_eq!(found, Some(b.action), "{} in {scope:?}", b.key);
        }
    }
    // Key bar: every labelled row is shown in some state of its view.
    let mut bars = Vec::new();
    let mut idle = ready_app();
    bars.push(key_bar_line(&mut idle));
    let mut missing = app();
    missing.update(mnist_missing("no MNIST"));
    bars.push(key_bar_line(&mut missing));
    bars.push(key_bar_line(&mut training_app()));
    bars.push(key_bar_line(&mut sweeping_app()));
    bars.push(key_bar_line(&mut runs_app()));
    let mut digit = digit_app();
    bars.push(key_bar_line(&mut digit));
    digit.digit.mode = mnist_tui::tui::digit::state::DigitMode::Image;
    bars.push(key_bar_line(&mut digit));
    digit.digit.mode = mnist_tui::tui::digit::state::DigitMode::Gallery;
    bars.push(key_bar_line(&mut digit));
    digit.digit.mode = mnist_tui::tui::digit::state::DigitMode::Browse;
    bars.push(key_bar_line(&mut digit));
    assert_eq!(digit.view, View::Digit);
    for b in BINDINGS {
        if let Some(label) = b.bar {
            let entry = format!("{} {label}", b.key);
            assert!(
                bars.iter().any(|bar| bar.contains(&entry)),
                "no key bar shows '{entry}':\n{}",
                bars.join("\n")
            );
        }
    }
}

#[test]
fn clicking_a_column_header_sorts_by_it() {
    use mnist_tui::tui::runs::table::SortColumn;
    let mut a = runs_app();
    let s = screen(&mut a, 120, 40);
    let header_y = 2u16; // tab bar, table border, header
    let header: Vec<char> = s.lines().nth(header_y as usize).unwrap().chars().collect();
    let line: String = header.iter().collect();
    for column in SortColumn::ALL {
        let title = column.title();
        let at = line
            .find(title)
            .unwrap_or_else(|| panic!("header lacks {title}: {line}"));
        let x = line[..at].chars().count() as u16 + 1;
        let was_desc = a.runs.descending;
        let was = a.runs.sort;
        a.update(click(x, header_y));
        assert_eq!(a.runs.sort, column, "click on {title} at x={x}");
        if was == column {
            assert_ne!(a.runs.descending, was_desc, "a second click reverses");
        }
    }
    // Clicking the current column again reverses.
    let desc = a.runs.descending;
    let x = line.find(a.runs.sort.title()).unwrap();
    a.update(click(line[..x].chars().count() as u16 + 1, header_y));
    assert_ne!(a.runs.descending, desc);
}

#[test]
fn train_view_shows_the_sweep_queue() {
    let mut a = sweeping_app();
    let first = a.train.sweep.as_ref().unwrap().file.points[0].clone();
    for e in point_events("20261201-090000-mlp-0001", &first, 0.9) {
        a.update(Msg::Train(e));
    }
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("1/2 finished"), "{s}");
    assert!(s.contains("seed 1"), "{s}");
    assert!(s.contains("running"), "{s}");
    assert!(s.contains("Sweep point 2/2: seed 2"), "{s}");
    insta::assert_snapshot!("train_sweep_120x40", s);
}

#[test]
fn runs_view_groups_dialog() {
    let mut a = ready_app();
    let runs = sweep_runs(&[
        (0.001, 1, 0.91),
        (0.001, 2, 0.93),
        (0.01, 1, 0.97),
        (0.01, 2, 0.98),
        (0.1, 1, 0.60),
        (0.1, 2, 0.40),
    ]);
    show_sweep_groups(&mut a, runs);
    let s = screen(&mut a, 120, 40);
    assert!(
        s.contains("Sweep abcdef0123: 6 of 6 points finished"),
        "{s}"
    );
    assert!(s.contains("97.50%"), "{s}");
    insta::assert_snapshot!("runs_groups_120x40", s);
}

#[path = "tui_render/keys.rs"]
mod keys;

#[test]
fn the_finder_dialog_charts_the_curve_and_names_the_suggestion() {
    use mnist_tui::tui::train::finder::FinderMsg;
    let mut a = ready_app();
    a.update(ch('f'));
    a.update(Msg::Finder(FinderMsg::Done(Ok(synthetic_finding()))));
    let s = screen(&mut a, 120, 40);
    assert!(
        s.contains("Learning-rate finder: the form's settings"),
        "{s}"
    );
    assert!(
        s.contains("Suggested rate 0.0011: steepest fall of the smoothed loss"),
        "{s}"
    );
    assert!(s.contains("1e-7") && s.contains("10"), "{s}");
    assert!(s.contains("Enter use it in the form"), "{s}");
    insta::assert_snapshot!("lr_finder_120x40", s);
}

/// The Digit view's mistake gallery, 120×40, of an untrained network on a fake
/// `dataset` of `n` test images: the gallery asks for the run's dataset (MNIST is
/// held), gets it, then gets the network's mistakes on it.
fn gallery_screen(dataset: &str, n: usize) -> String {
    use mnist_tui::predict::find_mistakes;
    use mnist_tui::tui::digit::state::DigitMsg;
    use std::sync::Arc;
    let mut a = digit_app_of(dataset);
    let data = fake_dataset(dataset, n);
    a.update(ch('g'));
    a.update(Msg::Data(DataMsg::Loaded(data.clone())));
    let predictor = a.digit.predictor.clone().unwrap();
    let report = find_mistakes(&predictor, &data.test).unwrap();
    assert!(!report.mistakes.is_empty(), "an untrained network errs");
    let id = a.digit.model_id.clone().unwrap();
    a.update(Msg::Digit(DigitMsg::Mistakes {
        id,
        result: Ok(Arc::new(report)),
    }));
    screen(&mut a, 120, 40)
}

#[test]
fn a_fashion_runs_gallery_names_the_classes() {
    let s = gallery_screen("fashion-mnist", 12);
    assert!(s.contains("Mistakes on Fashion-MNIST test"), "{s}");
    assert!(
        s.contains("T-shirt/top"),
        "rows of the matrix by name:\n{s}"
    );
    assert!(
        s.contains("pred: 0 T-shirt/top, 1 Trouser"),
        "a legend:\n{s}"
    );
    assert!(
        !s.contains("MNIST ready") || s.contains("Fashion-MNIST ready"),
        "{s}"
    );
    insta::assert_snapshot!("digit_gallery_fashion_120x40", s);
}

#[test]
fn a_gallery_of_47_classes_lists_its_largest_mistakes() {
    let s = gallery_screen("emnist-balanced", 47);
    assert!(s.contains("Largest mistakes (47 classes)"), "{s}");
    assert!(s.contains("true → pred count"), "{s}");
    assert!(s.contains("#11 B → 8"), "cards name the classes:\n{s}");
    assert!(s.contains("Mistakes on EMNIST Balanced test"), "{s}");
}

#[test]
fn probabilities_of_26_classes_show_the_top_10_by_name() {
    use mnist_tui::predict::Prediction;
    use mnist_tui::tui::digit::state::DigitMsg;
    let mut a = digit_app_of("emnist-letters");
    click_the_canvas(&mut a);
    // Most probable: h (7), then its neighbours in the alphabet, farther ones less.
    let row: Vec<f32> = (0..26).map(|c| -(c as f32 - 7.0).abs() * 3.0).collect();
    a.update(Msg::Digit(DigitMsg::Predicted {
        seq: a.digit.infer_seq,
        result: Ok(Prediction::from_outputs(&row)),
    }));
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("top 10 of 26 classes"), "{s}");
    assert!(
        s.contains("Class h"),
        "the verdict by name, as a class:\n{s}"
    );
    assert!(!s.contains("Digit h"), "{s}");
    let bars: Vec<&str> = s
        .lines()
        .filter_map(|l| l.rsplit('│').nth(1))
        .filter(|cell| cell.contains('%') && !cell.starts_with(' '))
        .collect();
    assert_eq!(bars.len(), 10, "ten bars:\n{s}");
    let labels: Vec<&str> = bars.iter().filter_map(|b| b.split(' ').next()).collect();
    assert_eq!(
        labels,
        ["h", "g", "i", "f", "j", "e", "k", "d", "l", "c"],
        "the most probable first, by name:\n{s}"
    );
    insta::assert_snapshot!("digit_letters_top10_120x40", s);
}

#[test]
fn browsing_test_images_shows_the_image_its_class_and_the_prediction() {
    let mut a = digit_app_of("fashion-mnist");
    update_settled(&mut a, ch('t'));
    assert!(screen(&mut a, 120, 40).contains("Fashion-MNIST is still loading"));
    update_settled(
        &mut a,
        Msg::Data(DataMsg::Loaded(fake_dataset("fashion-mnist", 12))),
    );
    update_settled(&mut a, key(KeyCode::Right));
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("Test images of Fashion-MNIST: #1 of 12"), "{s}");
    assert!(s.contains("True class  Trouser"), "{s}");
    assert!(s.contains("Model says"), "{s}");
    assert!(s.contains("Test image #1"), "{s}");
}

/// Two finished runs of other datasets than MNIST, and one of MNIST.
fn runs_of_three_datasets() -> Vec<mnist_tui::runs::RunRecord> {
    let mut fashion = record(4, mnist_tui::model::Preset::Cnn, 0.002, 128, 2, 0.88);
    fashion.config.dataset = "fashion-mnist".parse().unwrap();
    let spec = mnist_tui::data::datasets::find_dataset("fashion-mnist").unwrap();
    fashion.dataset = mnist_tui::data::DatasetInfo::of_spec(
        spec,
        spec.norm.unwrap(),
        spec.files
            .iter()
            .map(|f| mnist_tui::data::datasets::FileSum {
                file: f.name.to_string(),
                sha256: f.sha256().unwrap().to_string(),
            })
            .collect(),
    );
    let mut balanced = record(5, mnist_tui::model::Preset::Mlp, 0.001, 64, 1, 0.8);
    balanced.config.dataset = "emnist-balanced".parse().unwrap();
    balanced.dataset = dataset_info("emnist-balanced");
    vec![
        record(1, mnist_tui::model::Preset::Mlp, 0.001, 64, 3, 0.95),
        fashion,
        balanced,
    ]
}

#[test]
fn the_runs_table_has_a_dataset_column() {
    let mut a = runs_app_with(runs_of_three_datasets());
    let s = screen(&mut a, 120, 30);
    assert!(s.contains("Dataset"), "{s}");
    assert!(
        s.contains("fashion-mnist") && s.contains("emnist-balance"),
        "{s}"
    );
    insta::assert_snapshot!("runs_datasets_120x30", s);
    // Wide enough, the ids are whole.
    let s = screen(&mut a, 160, 30);
    assert!(s.contains("20261120-140000-cnn-a004"), "{s}");
}

#[test]
fn the_details_name_the_dataset_and_its_files_checksums() {
    let mut a = runs_app_with(runs_of_three_datasets());
    while a
        .runs
        .current()
        .and_then(|e| e.record())
        .map(|r| r.config.dataset.as_str())
        != Some("fashion-mnist")
    {
        a.update(ch('j'));
    }
    a.update(key(KeyCode::Enter));
    // Scrolled to the dataset's lines.
    for _ in 0..37 {
        a.update(key(KeyCode::Down));
    }
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("Dataset: Fashion-MNIST"), "{s}");
    assert!(s.contains("10: T-shirt/top, Trouser"), "{s}");
    assert!(s.contains("mean 0.2860, std 0.3530"), "{s}");
    let sha = mnist_tui::data::datasets::find_dataset("fashion-mnist")
        .unwrap()
        .files[0]
        .sha256()
        .unwrap();
    assert!(s.contains(&format!("train-images    {sha}")), "{s}");
    insta::assert_snapshot!("run_details_fashion_120x40", s);
}
