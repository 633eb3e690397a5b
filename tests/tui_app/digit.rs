//! The Digit view: drawing, images, models, the gallery, the path field.

use super::*;
use mnist_tui::data::Preparation;
use mnist_tui::tui::digit::layout as digit_layout;
use mnist_tui::tui::digit::state::{DigitEffect, DigitMode, DigitMsg, Gallery, Verdict};
use mnist_tui::tui::digit::tasks;
use ratatui::crossterm::event::{MouseButton, MouseEventKind};

fn canvas_cells() -> Rect {
    let body = layout::screen(Rect::new(0, 0, 120, 40)).unwrap().body;
    digit_layout::canvas_cells(digit_layout::digit(body).big).unwrap()
}

/// Drags from canvas pixel `from` to `to` (pixel coordinates) with `button`.
fn drag(a: &mut mnist_tui::tui::app::App, button: MouseButton, from: (u16, u16), to: (u16, u16)) {
    let c = canvas_cells();
    let cell = |(px, py): (u16, u16)| (c.x + px * 2, c.y + py);
    let (x, y) = cell(from);
    update_settled(a, mouse(MouseEventKind::Down(button), x, y));
    let steps = 8;
    for i in 1..=steps {
        let px = from.0 as i32 + (to.0 as i32 - from.0 as i32) * i / steps;
        let py = from.1 as i32 + (to.1 as i32 - from.1 as i32) * i / steps;
        let (x, y) = cell((px as u16, py as u16));
        update_settled(a, mouse(MouseEventKind::Drag(button), x, y));
    }
    update_settled(a, mouse(MouseEventKind::Up(button), x, y));
}

/// The one prediction request among `effects`.
fn predict_effect(effects: &[Effect]) -> DigitEffect {
    match effects {
        [Effect::Digit(e @ DigitEffect::Predict { .. })] => e.clone(),
        other => panic!("expected one Predict effect, got {other:?}"),
    }
}

fn no_store() -> mnist_tui::runs::RunStore {
    mnist_tui::runs::RunStore::new(std::env::temp_dir().join("mnist-tui-no-runs"))
}

#[test]
fn a_drag_asks_for_a_prediction_instead_of_running_the_model() {
    let mut a = digit_app();
    let c = canvas_cells();
    let effects = a.update(mouse(
        MouseEventKind::Down(MouseButton::Left),
        c.x + 28,
        c.y + 8,
    ));
    let e = predict_effect(&effects);
    assert!(matches!(e, DigitEffect::Predict { seq, .. } if seq == a.digit.infer_seq));
    assert!(
        matches!(
            a.digit.verdict,
            Verdict::Digit {
                prediction: None,
                ..
            }
        ),
        "update itself predicts nothing: {:?}",
        a.digit.verdict
    );
    let effects = a.update(mouse(
        MouseEventKind::Drag(MouseButton::Left),
        c.x + 28,
        c.y + 20,
    ));
    predict_effect(&effects);
    assert!(a.digit.prediction().is_none());
    // The runtime's task runs the model; its result is the prediction shown.
    let msg = mnist_tui::tui::digit::tasks::perform(predict_effect(&effects), &no_store());
    let want = match &msg {
        DigitMsg::Predicted { result: Ok(p), .. } => p.clone(),
        other => panic!("{other:?}"),
    };
    a.update(Msg::Digit(msg));
    assert_eq!(a.digit.prediction(), Some(&want));
}

#[test]
fn a_prediction_for_an_older_drawing_is_dropped() {
    let mut a = digit_app();
    let c = canvas_cells();
    let down = mouse(MouseEventKind::Down(MouseButton::Left), c.x + 28, c.y + 8);
    let older = predict_effect(&a.update(down));
    let newer = predict_effect(&a.update(mouse(
        MouseEventKind::Drag(MouseButton::Left),
        c.x + 10,
        c.y + 22,
    )));
    let store = no_store();
    let older = mnist_tui::tui::digit::tasks::perform(older, &store);
    let newer = mnist_tui::tui::digit::tasks::perform(newer, &store);
    let (DigitMsg::Predicted { result: Ok(po), .. }, DigitMsg::Predicted { result: Ok(pn), .. }) =
        (&older, &newer)
    else {
        panic!("{older:?} {newer:?}");
    };
    assert_ne!(po.probabilities, pn.probabilities, "two different inputs");
    let pn = pn.clone();
    // The older drawing's result alone is not shown...
    a.update(Msg::Digit(older.clone()));
    assert!(a.digit.prediction().is_none());
    // ...nor does it overwrite the newer one when it arrives late.
    a.update(Msg::Digit(newer));
    a.update(Msg::Digit(older));
    assert_eq!(a.digit.prediction(), Some(&pn));
}

#[test]
fn a_failed_prediction_is_shown() {
    let mut a = digit_app();
    let c = canvas_cells();
    a.update(mouse(
        MouseEventKind::Down(MouseButton::Left),
        c.x + 28,
        c.y + 8,
    ));
    a.update(Msg::Digit(DigitMsg::Predicted {
        seq: a.digit.infer_seq,
        result: Err("out of cheese".into()),
    }));
    assert!(a.digit.prediction().is_none());
    assert_eq!(a.digit.prediction_error.as_deref(), Some("out of cheese"));
    assert!(matches!(&a.notice, Some(Notice::Error(e)) if e.contains("out of cheese")));
}

#[test]
fn a_panicking_model_load_ends_the_loading_with_its_error() {
    let mut a = digit_app();
    let effects = a.update(ch('m'));
    let [Effect::Digit(load @ DigitEffect::LoadModel(_))] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    assert!(a.digit.model_loading);
    let msg = tasks::guarded(tasks::Task::of(load), || panic!("weights on fire"));
    a.update(Msg::Digit(msg));
    assert!(!a.digit.model_loading, "no longer loading");
    let e = a.digit.model_error.clone().unwrap_or_default();
    assert!(e.contains("weights on fire"), "{e}");
    assert!(matches!(&a.notice, Some(Notice::Error(n)) if n.contains("weights on fire")));
}

#[test]
fn a_panicking_image_load_or_gallery_reports_its_failure() {
    let mut a = digit_app();
    a.update(ch('o'));
    type_str(&mut a, "x.png");
    let effects = a.update(key(KeyCode::Enter));
    let [Effect::Digit(load)] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    assert!(a.digit.image_loading.is_some());
    a.update(Msg::Digit(tasks::guarded(tasks::Task::of(load), || {
        panic!("decoder bug")
    })));
    assert!(a.digit.image_loading.is_none());
    assert!(matches!(&a.notice, Some(Notice::Error(n)) if n.contains("decoder bug")));

    let effects = a.update(ch('g'));
    let [Effect::Digit(find @ DigitEffect::FindMistakes { .. })] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    a.update(Msg::Digit(tasks::guarded(tasks::Task::of(find), || {
        panic!("index out of bounds")
    })));
    assert!(
        matches!(&a.digit.gallery, Some(Gallery::Failed(_, e)) if e.contains("index out of bounds")),
        "{:?}",
        a.digit.gallery
    );
}

#[test]
fn mouse_draws_erases_and_prediction_follows() {
    let mut a = digit_app();
    assert!(a.digit.predictor.is_some());
    assert_eq!(a.digit.verdict, Verdict::Nothing);
    // A vertical stroke (a "1") down the middle.
    drag(&mut a, MouseButton::Left, (14, 5), (14, 22));
    assert!(a.digit.canvas.get(14, 5) > 0.5 && a.digit.canvas.get(14, 22) > 0.5);
    assert!(
        a.digit.canvas.get(14, 14) > 0.5,
        "drag positions are joined"
    );
    assert_eq!(a.digit.canvas.get(3, 14), 0.0);
    let first = a
        .digit
        .prediction()
        .expect("predicted while drawing")
        .clone();
    // A horizontal stroke changes the input and so the probabilities.
    drag(&mut a, MouseButton::Left, (6, 10), (22, 10));
    let second = a.digit.prediction().unwrap().clone();
    assert_ne!(first.probabilities, second.probabilities);
    // The right button erases the horizontal stroke's left end.
    drag(&mut a, MouseButton::Right, (5, 10), (10, 10));
    assert_eq!(a.digit.canvas.get(7, 10), 0.0);
    assert!(a.digit.canvas.get(14, 20) > 0.5, "the rest stays");
    // c clears; the prediction goes with it.
    a.update(ch('c'));
    assert!(a.digit.canvas.is_empty());
    assert_eq!(a.digit.verdict, Verdict::Nothing);
    // Clicks outside the canvas draw nothing; tabs still work with the mouse.
    a.update(click(118, 20));
    assert!(a.digit.canvas.is_empty());
}

#[test]
fn save_asks_for_a_png_and_refuses_an_empty_canvas() {
    let mut a = digit_app();
    assert!(a.update(ch('w')).is_empty());
    assert!(matches!(a.notice, Some(Notice::Error(_))));
    let c = canvas_cells();
    a.update(mouse(
        MouseEventKind::Down(MouseButton::Left),
        c.x + 20,
        c.y + 10,
    ));
    let effects = a.update(ch('w'));
    assert!(matches!(
        effects.as_slice(),
        [Effect::Digit(DigitEffect::SaveDrawing(_))]
    ));
}

#[test]
fn path_field_takes_printable_keys_and_esc_leaves() {
    let mut a = digit_app();
    a.update(ch('o'));
    assert!(a.digit.editing);
    type_str(&mut a, "q1?2 x.png");
    assert_eq!(a.digit.path.text(), "q1?2 x.png");
    assert_eq!(a.view, View::Digit);
    assert!(!a.should_quit() && a.modal.is_none());
    a.update(key(KeyCode::Backspace));
    assert_eq!(a.digit.path.text(), "q1?2 x.pn");
    a.update(key(KeyCode::Esc));
    assert!(!a.digit.editing);
    a.update(ch('2'));
    assert_eq!(a.view, View::Runs, "global keys work again");
}

#[test]
fn enter_loads_the_image_and_tab_completes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("seven.png"), b"x").unwrap();
    let mut a = digit_app();
    a.update(ch('/'));
    type_str(&mut a, &format!("{}/se", dir.path().display()));
    let typed = a.digit.path.text().to_string();
    let effects = a.update(key(KeyCode::Tab));
    let [Effect::Digit(complete @ DigitEffect::CompletePath { .. })] = effects.as_slice() else {
        panic!("Tab asks for a completion: {effects:?}");
    };
    assert_eq!(a.digit.path.text(), typed, "no directory read in update");
    let done = tasks::perform(complete.clone(), &no_store());
    a.update(Msg::Digit(done.clone()));
    let want = dir.path().join("seven.png");
    assert_eq!(a.digit.path.text(), want.display().to_string());
    // A completion of older text (typed on meanwhile) is dropped.
    a.update(key(KeyCode::Backspace));
    a.update(Msg::Digit(done));
    assert!(
        a.digit.path.text().ends_with("seven.pn"),
        "{}",
        a.digit.path.text()
    );
    a.update(ch('g'));
    assert_eq!(
        a.view,
        View::Digit,
        "Tab completes instead of switching views"
    );
    let effects = a.update(key(KeyCode::Enter));
    assert!(matches!(
        effects.as_slice(),
        [Effect::Digit(DigitEffect::LoadImage(p, _))] if *p == want
    ));
    // The runtime's loader says why this "image" is not one.
    let err = mnist_tui::tui::digit::tasks::load_image(&want, Preparation::Digit).unwrap_err();
    assert!(err.contains("not an image"), "{err}");
}

/// A picture is prepared the way the model's dataset makes its images: opened for a
/// digit model, it is prepared again when a Fashion-MNIST model takes over.
#[test]
fn an_open_image_is_prepared_for_the_models_dataset() {
    use mnist_tui::predict::Predictor;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shoe.png");
    let mut img = image::GrayImage::from_pixel(90, 60, image::Luma([255]));
    for y in 10..50 {
        for x in 5..70 {
            img.put_pixel(x, y, image::Luma([30]));
        }
    }
    img.save(&path).unwrap();
    let mut a = digit_app();
    a.update(ch('/'));
    type_str(&mut a, &path.display().to_string());
    let effects = a.update(key(KeyCode::Enter));
    let [Effect::Digit(load @ DigitEffect::LoadImage(_, Preparation::Digit))] = effects.as_slice()
    else {
        panic!("a digit model's image is prepared as a digit: {effects:?}");
    };
    let loaded = tasks::perform(load.clone(), &no_store());
    a.update(Msg::Digit(loaded));
    assert_eq!(
        a.digit.image.as_ref().unwrap().preparation,
        Preparation::Digit
    );
    // A Fashion-MNIST model arrives: the image is prepared again, as a product photo.
    let id = a.digit.model_id.clone().unwrap();
    let fashion = Predictor::for_dataset(
        mnist_tui::model::Network::preset(mnist_tui::model::Preset::Mlp, 7),
        true,
        mnist_tui::data::DatasetInfo::of_spec(
            mnist_tui::data::datasets::find_dataset("fashion-mnist").unwrap(),
            mnist_tui::data::Norm::MNIST,
            Vec::new(),
        ),
    );
    let again = a.update(Msg::Digit(DigitMsg::ModelLoaded {
        id,
        result: Ok(std::sync::Arc::new(fashion)),
    }));
    let Some(load) = again.iter().find_map(|e| match e {
        Effect::Digit(l @ DigitEffect::LoadImage(p, Preparation::Product)) if *p == path => Some(l),
        _ => None,
    }) else {
        panic!("prepared again for the new model: {again:?}");
    };
    a.update(Msg::Digit(tasks::perform(load.clone(), &no_store())));
    let image = a.digit.image.as_ref().unwrap();
    assert_eq!(image.preparation, Preparation::Product);
    let pixels = image.prepared.as_ref().unwrap().pixels;
    assert_eq!(pixels[0], 0, "the product's way: light on black");
    assert!(pixels[14 * 28 + 14] > 100, "the shoe is light");
}

#[test]
fn models_cycle_and_gallery_asks_for_mistakes() {
    let mut a = digit_app();
    let first = a.digit.model_id.clone().unwrap();
    let effects = a.update(ch('m'));
    let next = a.digit.model_id.clone().unwrap();
    assert_ne!(first, next, "two finished runs to cycle through");
    assert!(
        matches!(effects.as_slice(), [Effect::Digit(DigitEffect::LoadModel(r))] if r.id == next)
    );
    assert!(a.digit.predictor.is_none() && a.digit.model_loading);
    a.update(ch('M'));
    assert_eq!(a.digit.model_id.as_deref(), Some(first.as_str()));
    // No model loaded now: the gallery says so instead of starting.
    assert!(a.update(ch('g')).is_empty());
    assert_ne!(a.digit.mode, DigitMode::Gallery);
    let mut a = digit_app();
    let effects = a.update(ch('g'));
    assert!(matches!(
        effects.as_slice(),
        [Effect::Digit(DigitEffect::FindMistakes { .. })]
    ));
    assert_eq!(a.digit.mode, DigitMode::Gallery);
    a.update(key(KeyCode::Esc));
    assert_eq!(a.digit.mode, DigitMode::Draw);
}

#[test]
fn the_digit_views_default_model_is_the_stores_best_run_with_weights() {
    // The store found no finished run with weights: finished records alone do not make
    // a default model (their weights may be missing).
    let mut a = ready_app();
    let runs = vec![record(1, Preset::Mlp, 0.001, 64, 3, 0.95)];
    a.update(Msg::Store(mnist_tui::tui::app::StoreMsg::Listed {
        runs: runs.clone(),
        damaged: vec![],
        best: None,
    }));
    assert!(a.update(ch('3')).is_empty());
    assert!(a.digit.model_id.is_none());
    // Once the store names one, entering the view loads it.
    let id = runs[0].id.clone();
    a.update(Msg::Store(mnist_tui::tui::app::StoreMsg::Listed {
        runs,
        damaged: vec![],
        best: Some(id.clone()),
    }));
    assert_eq!(a.digit.model_id.as_deref(), Some(id.as_str()));
}

#[test]
fn the_path_field_deletes_words_and_moves_home_and_end() {
    use ratatui::crossterm::event::KeyModifiers;
    let mut a = digit_app();
    a.update(ch('o'));
    type_str(&mut a, "some/dir/seven.png");
    a.update(with_mods(KeyCode::Char('w'), KeyModifiers::CONTROL));
    assert_eq!(a.digit.path.text(), "some/dir/", "the file name goes");
    a.update(with_mods(KeyCode::Backspace, KeyModifiers::ALT));
    assert_eq!(a.digit.path.text(), "some/", "then the folder");
    a.update(key(KeyCode::Home));
    a.update(ch('x'));
    assert_eq!((a.digit.path.text(), a.digit.path.cursor()), ("xsome/", 1));
    a.update(key(KeyCode::End));
    assert_eq!(a.digit.path.cursor(), "xsome/".len());
    a.update(with_mods(KeyCode::Char('u'), KeyModifiers::CONTROL));
    assert_eq!(a.digit.path.text(), "");
    assert!(a.digit.editing && a.view == View::Digit);
}

/// The pixels of the one prediction request among `effects`.
fn predicted_pixels(effects: &[Effect]) -> Box<[u8; 784]> {
    match predict_effect(effects) {
        DigitEffect::Predict { pixels, .. } => pixels,
        _ => unreachable!(),
    }
}

#[test]
fn browsing_steps_through_the_test_images_and_predicts_each() {
    let mut a = digit_app();
    let mnist = fake_dataset("mnist", 3);
    a.update(Msg::Data(DataMsg::Loaded(mnist.clone())));
    // Stepping needs browsing first.
    assert!(a.update(ch('n')).is_empty());
    assert!(matches!(&a.notice, Some(Notice::Error(e)) if e.contains("Not browsing")));
    let fx = a.update(ch('t'));
    assert_eq!(a.digit.mode, DigitMode::Browse);
    let b = a.digit.browsed.clone().expect("the first test image");
    assert_eq!((b.index, b.count, b.label), (0, 3, 0));
    assert_eq!(&b.pixels[..], mnist.test.image(0));
    assert_eq!(
        &predicted_pixels(&fx)[..],
        mnist.test.image(0),
        "it is predicted"
    );
    settle(&mut a, fx);
    assert!(a.digit.prediction().is_some());
    // → and n step on; ← and p step back, wrapping.
    let fx = a.update(key(KeyCode::Right));
    assert_eq!(a.digit.browsed.as_ref().unwrap().index, 1);
    assert_eq!(&predicted_pixels(&fx)[..], mnist.test.image(1));
    a.update(ch('n'));
    assert_eq!(a.digit.browsed.as_ref().unwrap().index, 2);
    a.update(ch('n'));
    assert_eq!(a.digit.browsed.as_ref().unwrap().index, 0, "wraps");
    let fx = a.update(key(KeyCode::Left));
    let b = a.digit.browsed.clone().unwrap();
    assert_eq!((b.index, b.label), (2, 2));
    assert_eq!(&predicted_pixels(&fx)[..], mnist.test.image(2));
    settle(&mut a, fx);
    assert!(a.digit.prediction().is_some());
    // The gallery's Esc comes back to the test images; d goes back to drawing.
    a.update(ch('g'));
    a.update(key(KeyCode::Esc));
    assert_eq!(a.digit.mode, DigitMode::Browse);
    a.update(ch('d'));
    assert_eq!(a.digit.mode, DigitMode::Draw);
}

#[test]
fn a_fashion_runs_gallery_and_test_images_load_its_dataset() {
    let mut a = digit_app_of("fashion-mnist");
    let id = a.digit.model_id.clone().unwrap();
    assert_eq!(a.data.name.as_str(), "mnist");
    // The gallery waits for the run's dataset, which is loaded instead of MNIST.
    let fx = a.update(ch('g'));
    assert_eq!(loads(&fx), ["fashion-mnist"]);
    assert!(matches!(&a.digit.gallery, Some(Gallery::NeedsData(g)) if *g == id));
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::Digit(DigitEffect::FindMistakes { .. })))
    );
    let fx = a.update(Msg::Data(DataMsg::Loaded(fake_dataset(
        "fashion-mnist",
        12,
    ))));
    match fx.as_slice() {
        [Effect::Digit(DigitEffect::FindMistakes { id: g, data, .. })] => {
            assert_eq!(g, &id);
            assert_eq!(data.info.name.as_str(), "fashion-mnist");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(&a.digit.gallery, Some(Gallery::Loading(g)) if *g == id));
    // Its test images are browsed with their classes.
    a.update(key(KeyCode::Esc));
    let fx = a.update(ch('t'));
    let b = a.digit.browsed.clone().unwrap();
    assert_eq!((b.dataset.as_str(), b.count), ("fashion-mnist", 12));
    settle(&mut a, fx);
    let p = a.digit.prediction().expect("predicted");
    assert_eq!(p.probabilities.len(), 10);
    // The Train view wants the form's dataset back; the test images want theirs again.
    let fx = a.update(ch('1'));
    assert_eq!(loads(&fx), ["mnist"]);
    a.update(Msg::Data(DataMsg::Loaded(fake_mnist())));
    let fx = a.update(ch('3'));
    assert_eq!(loads(&fx), ["fashion-mnist"]);
    assert!(
        a.update(key(KeyCode::Right)).is_empty(),
        "no stepping while it loads"
    );
    assert!(
        matches!(&a.notice, Some(Notice::Error(e)) if e.contains("Fashion-MNIST is still loading"))
    );
}
