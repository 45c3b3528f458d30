//! A game library screen with "Recommended for you": [`RecommendPlugin`] over the demo library
//! (48 invented games in 8 genres), updating as you play.
//!
//! The library shows every game, one genre per column. Click a game to "play" it: the game
//! writes a [`PlayRecorded`], and the row at the top, the plugin's [`Recommendations`], changes
//! in the same frame, each pick with its reason ("because you played ..."). Without plays, or
//! with personalisation off, the row holds cold-start picks: the most played games, within the
//! preferred genre when one is set. Games you played are marked in the library.
//!
//! The model is the sequential model trained on the library
//! ([`DEFAULT_MODEL_PATH`](bevy_kansei::recommend::plugin::DEFAULT_MODEL_PATH)) when its file
//! is there, otherwise a first-order Markov model fitted at start on
//! `assets/recommend/library-plays.txt` (3,000 simulated players); the header says which.
//! The profile is kept in the system's temporary folder (`kansei-recommend-example`), so the
//! plays survive a restart and "forget" deletes them from disk.
//!
//! ```text
//! cargo run --example recommend
//! ```
//!
//! Keys: `1`-`6` play a recommendation; `F` forgets your history; `P` switches personalisation
//! off and on; `G` cycles the preferred genre (an onboarding choice).
//!
//! Non-interactive run (what `scripts/test` does): no saved profile; three games are played
//! automatically in the first frames, so the screenshot (frame 60 unless `KANSEI_CAPTURE_FRAME`
//! says otherwise) shows personalised picks with their reasons.
//!
//! ```text
//! KANSEI_CAPTURE=screenshots/recommend.png xvfb-run -a cargo run --example recommend
//! ```

#[path = "support/capture.rs"]
mod capture;

use std::path::Path;
use std::sync::Arc;

use bevy::prelude::*;
use bevy_kansei::{
    KanseiPlugins,
    player::plugin::ProfileLocation,
    recommend::{
        Catalogue, Interactions, Reason,
        model::markov::Markov,
        plugin::{
            DEFAULT_MODEL_PATH, ForgetPlayerHistory, ModelSource, PlayRecorded, PreferredTags,
            RecommendPlugin, RecommendState, Recommendations, SetPersonalisation,
        },
    },
};

/// Recommendations shown in the row (keys 1 to this).
const SHOWN: usize = 6;
/// Plays made automatically in capture mode, on frames 3, 6 and 9: Tidebound, a puzzle
/// adventure and the first Ember Saga.
const AUTOPLAY: [u32; 3] = [37, 9, 1];
/// The simulated players the fallback Markov model is fitted on.
const LIBRARY_PLAYS: &str = "assets/recommend/library-plays.txt";

const BACKGROUND: Color = Color::srgb(0.07, 0.08, 0.10);
const PANEL: Color = Color::srgb(0.12, 0.13, 0.16);
const PANEL_HOVER: Color = Color::srgb(0.18, 0.19, 0.23);
const TEXT: Color = Color::srgb(0.92, 0.92, 0.92);
const DIM: Color = Color::srgb(0.58, 0.60, 0.64);
const REASON: Color = Color::srgb(1.0, 0.84, 0.45);

fn main() -> AppExit {
    let capture = capture::CaptureSettings::from_env(None);
    let (model, model_note) = model();
    // A saved profile when run by hand; none in capture mode, so the screenshot does not depend
    // on an earlier run.
    let profile = capture.is_none().then(|| {
        ProfileLocation::new(
            std::env::temp_dir().join("kansei-recommend-example"),
            "player-1",
        )
    });
    let mut app = App::new();
    app.add_plugins((
        capture::default_plugins("Kansei recommendations", capture.as_ref()),
        KanseiPlugins.set(RecommendPlugin {
            model,
            profile,
            ..default()
        }),
    ))
    .insert_resource(ClearColor(BACKGROUND))
    .insert_resource(Screen {
        model_note,
        log: "Click a game to play it.".to_owned(),
        genre: None,
    })
    .add_systems(Startup, setup)
    .add_systems(
        Update,
        (
            (clicks, keys).before(show_row),
            show_row,
            show_library,
            show_status,
        ),
    );
    if let Some(capture) = capture {
        app.add_plugins(capture::CapturePlugin(capture))
            .add_systems(Update, autoplay.before(show_row));
    }
    app.run()
}

/// The trained model if its file is there, else Markov on the simulated plays; and a note
/// for the header.
fn model() -> (ModelSource, String) {
    if Path::new(DEFAULT_MODEL_PATH).exists() {
        return (ModelSource::default(), "sequential model".to_owned());
    }
    match Interactions::load(LIBRARY_PLAYS)
        .and_then(|data| Markov::fit(&data.users, data.num_items))
    {
        Ok(markov) => (
            ModelSource::Model(Arc::new(markov)),
            "Markov model (no trained sequential model yet)".to_owned(),
        ),
        Err(error) => {
            // Logging is not set up yet.
            eprintln!("cannot fit the Markov model ({error}); the plugin falls back to popularity");
            (ModelSource::default(), "popularity".to_owned())
        }
    }
}

/// What the screen shows besides the plugin's resources.
#[derive(Resource)]
struct Screen {
    model_note: String,
    /// The last thing that happened.
    log: String,
    /// The preferred genre, if one was picked.
    genre: Option<String>,
}

/// A library tile: the game's id.
#[derive(Component)]
struct Tile(u32);

/// A card of the recommendation row: the game's id.
#[derive(Component)]
struct Card(u32);

/// The row the cards live in.
#[derive(Component)]
struct Row;

/// The header buttons.
#[derive(Component, Clone, Copy)]
enum Action {
    Personalisation,
    Forget,
    Genre,
}

#[derive(Component)]
enum Readout {
    Status,
    RowTitle,
    Log,
    Action(Action),
}

/// The colour of a genre (the game's first tag).
fn genre_colour(tag: &str) -> Color {
    match tag {
        "rpg" => Color::srgb(0.62, 0.45, 0.95),
        "puzzle" => Color::srgb(0.25, 0.78, 0.76),
        "platformer" => Color::srgb(0.45, 0.80, 0.35),
        "strategy" => Color::srgb(0.93, 0.72, 0.25),
        "racing" => Color::srgb(0.92, 0.35, 0.35),
        "shooter" => Color::srgb(0.95, 0.55, 0.25),
        "adventure" => Color::srgb(0.35, 0.60, 0.95),
        "simulation" => Color::srgb(0.90, 0.50, 0.75),
        _ => DIM,
    }
}

fn font(size: f32) -> TextFont {
    TextFont::from_font_size(size)
}

/// The catalogue's games grouped by their first tag, in catalogue order.
fn columns(catalogue: &Catalogue) -> Vec<(String, Vec<u32>)> {
    let mut columns: Vec<(String, Vec<u32>)> = Vec::new();
    for item in catalogue.items() {
        let genre = item.tags.first().cloned().unwrap_or_default();
        match columns.iter_mut().find(|(g, _)| *g == genre) {
            Some((_, ids)) => ids.push(item.id),
            None => columns.push((genre, vec![item.id])),
        }
    }
    columns
}

fn setup(mut commands: Commands, state: Res<RecommendState>) {
    commands.spawn(Camera2d);
    let catalogue = state.catalogue();
    let columns = columns(catalogue);
    let rows = columns.iter().map(|(_, ids)| ids.len()).max().unwrap_or(0);

    let root = commands
        .spawn(Node {
            width: percent(100),
            height: percent(100),
            flex_direction: FlexDirection::Column,
            padding: UiRect::axes(px(24), px(16)),
            row_gap: px(8),
            ..default()
        })
        .id();

    // Header: the title and the settings, then the status line.
    let header = commands
        .spawn((
            Node {
                justify_content: JustifyContent::SpaceBetween,
                align_items: AlignItems::Center,
                ..default()
            },
            ChildOf(root),
        ))
        .id();
    commands.spawn((
        Text::new("Game library"),
        font(26.0),
        TextColor(TEXT),
        ChildOf(header),
    ));
    let buttons = commands
        .spawn((
            Node {
                column_gap: px(10),
                ..default()
            },
            ChildOf(header),
        ))
        .id();
    for action in [Action::Genre, Action::Personalisation, Action::Forget] {
        commands.spawn((
            Button,
            action,
            Node {
                padding: UiRect::axes(px(12), px(7)),
                border: UiRect::all(px(1)),
                border_radius: BorderRadius::all(px(5)),
                ..default()
            },
            BackgroundColor(PANEL),
            BorderColor::all(DIM),
            ChildOf(buttons),
            children![(
                Readout::Action(action),
                Text::new(""),
                TextLayout::no_wrap(),
                font(14.0),
                TextColor(TEXT)
            )],
        ));
    }
    commands.spawn((
        Readout::Status,
        Text::new(""),
        font(14.0),
        TextColor(DIM),
        ChildOf(root),
    ));

    // "Recommended for you".
    commands.spawn((
        Readout::RowTitle,
        Text::new("Recommended for you"),
        font(20.0),
        TextColor(REASON),
        Node {
            margin: UiRect::top(px(6)),
            ..default()
        },
        ChildOf(root),
    ));
    commands.spawn((
        Row,
        Node {
            column_gap: px(12),
            min_height: px(140),
            ..default()
        },
        ChildOf(root),
    ));

    // The library, one genre per column.
    commands.spawn((
        Text::new("Library"),
        font(20.0),
        TextColor(TEXT),
        Node {
            margin: UiRect::top(px(8)),
            ..default()
        },
        ChildOf(root),
    ));
    let grid = commands
        .spawn((
            Node {
                display: Display::Grid,
                grid_template_columns: RepeatedGridTrack::flex(columns.len() as u16, 1.0),
                column_gap: px(8),
                row_gap: px(6),
                ..default()
            },
            ChildOf(root),
        ))
        .id();
    for (genre, _) in &columns {
        commands.spawn((
            Text::new(genre.to_uppercase()),
            font(13.0),
            TextColor(genre_colour(genre)),
            ChildOf(grid),
        ));
    }
    for row in 0..rows {
        for (genre, ids) in &columns {
            let Some(&id) = ids.get(row) else {
                commands.spawn((Node::default(), ChildOf(grid)));
                continue;
            };
            let Some(item) = catalogue.get(id) else {
                continue;
            };
            commands.spawn((
                Button,
                Tile(id),
                Node {
                    flex_direction: FlexDirection::Column,
                    justify_content: JustifyContent::Center,
                    height: px(48),
                    padding: UiRect::axes(px(7), px(3)),
                    border: UiRect::left(px(3)),
                    border_radius: BorderRadius::all(px(4)),
                    ..default()
                },
                BackgroundColor(PANEL),
                BorderColor::all(genre_colour(genre)),
                ChildOf(grid),
                // The column names the genre; the tile the game's other tags.
                children![
                    (Text::new(item.name.clone()), font(12.0), TextColor(TEXT)),
                    (
                        Text::new(item.tags.get(1..).unwrap_or_default().join(" / ")),
                        TextLayout::no_wrap(),
                        font(10.0),
                        TextColor(DIM)
                    ),
                ],
            ));
        }
    }

    commands.spawn((
        Readout::Log,
        Text::new(""),
        font(14.0),
        TextColor(DIM),
        Node {
            margin: UiRect::top(px(6)),
            ..default()
        },
        ChildOf(root),
    ));
}

/// The game "plays" `item`: one message, and a line for the log.
fn play(
    item: u32,
    state: &RecommendState,
    screen: &mut Screen,
    plays: &mut MessageWriter<PlayRecorded>,
) {
    plays.write(PlayRecorded(item));
    let name = state
        .catalogue()
        .get(item)
        .map_or_else(|| format!("game {item}"), |i| i.name.clone());
    screen.log = format!("Played {name}.");
}

/// Clicks on games, cards and the header buttons.
#[expect(clippy::too_many_arguments, reason = "a Bevy system")]
fn clicks(
    tiles: Query<(&Interaction, &Tile), Changed<Interaction>>,
    cards: Query<(&Interaction, &Card), Changed<Interaction>>,
    actions: Query<(&Interaction, &Action), Changed<Interaction>>,
    state: Res<RecommendState>,
    recommendations: Res<Recommendations>,
    mut screen: ResMut<Screen>,
    mut plays: MessageWriter<PlayRecorded>,
    mut settings: Settings,
) {
    let pressed = |interaction: &Interaction| *interaction == Interaction::Pressed;
    for (_, tile) in tiles.iter().filter(|(i, _)| pressed(i)) {
        play(tile.0, &state, &mut screen, &mut plays);
    }
    for (_, card) in cards.iter().filter(|(i, _)| pressed(i)) {
        play(card.0, &state, &mut screen, &mut plays);
    }
    for (_, &action) in actions.iter().filter(|(i, _)| pressed(i)) {
        settings.apply(action, &state, &recommendations, &mut screen);
    }
}

/// What the settings buttons write.
#[derive(bevy::ecs::system::SystemParam)]
struct Settings<'w> {
    consent: MessageWriter<'w, SetPersonalisation>,
    forget: MessageWriter<'w, ForgetPlayerHistory>,
    tags: ResMut<'w, PreferredTags>,
}

impl Settings<'_> {
    fn apply(
        &mut self,
        action: Action,
        state: &RecommendState,
        recommendations: &Recommendations,
        screen: &mut Screen,
    ) {
        match action {
            Action::Personalisation => {
                let on = !recommendations.consent();
                self.consent.write(SetPersonalisation(on));
                screen.log = if on {
                    "Personalisation on: your plays shape the row again.".to_owned()
                } else {
                    "Personalisation off: no play is recorded, the row shows popular games."
                        .to_owned()
                };
            }
            Action::Forget => {
                self.forget.write(ForgetPlayerHistory);
                screen.log = "History forgotten, in memory and on disk.".to_owned();
            }
            Action::Genre => {
                let genres = columns(state.catalogue());
                let next = match &screen.genre {
                    None => genres.first(),
                    Some(current) => genres.iter().skip_while(|(g, _)| g != current).nth(1),
                };
                screen.genre = next.map(|(g, _)| g.clone());
                self.tags.0 = screen.genre.iter().cloned().collect();
                screen.log = match &screen.genre {
                    Some(genre) => format!("Preferred genre: {genre} (used for cold-start picks)."),
                    None => "No preferred genre.".to_owned(),
                };
            }
        }
    }
}

fn keys(
    keys: Res<ButtonInput<KeyCode>>,
    state: Res<RecommendState>,
    recommendations: Res<Recommendations>,
    mut screen: ResMut<Screen>,
    mut plays: MessageWriter<PlayRecorded>,
    mut settings: Settings,
) {
    let digits = [
        KeyCode::Digit1,
        KeyCode::Digit2,
        KeyCode::Digit3,
        KeyCode::Digit4,
        KeyCode::Digit5,
        KeyCode::Digit6,
    ];
    for (n, key) in digits.into_iter().enumerate() {
        if keys.just_pressed(key)
            && let Some(pick) = recommendations.items().get(n)
        {
            play(pick.item, &state, &mut screen, &mut plays);
        }
    }
    for (key, action) in [
        (KeyCode::KeyP, Action::Personalisation),
        (KeyCode::KeyF, Action::Forget),
        (KeyCode::KeyG, Action::Genre),
    ] {
        if keys.just_pressed(key) {
            settings.apply(action, &state, &recommendations, &mut screen);
        }
    }
}

/// Capture mode: play [`AUTOPLAY`] on frames 3, 6 and 9.
fn autoplay(
    state: Res<RecommendState>,
    mut screen: ResMut<Screen>,
    mut plays: MessageWriter<PlayRecorded>,
    mut frame: Local<usize>,
) {
    *frame += 1;
    if frame.is_multiple_of(3)
        && let Some(&item) = AUTOPLAY.get(*frame / 3 - 1)
    {
        play(item, &state, &mut screen, &mut plays);
    }
}

/// Rebuilds the recommendation row when the recommendations change.
fn show_row(
    mut commands: Commands,
    recommendations: Res<Recommendations>,
    state: Res<RecommendState>,
    row: Single<Entity, With<Row>>,
) {
    if !recommendations.is_changed() {
        return;
    }
    commands.entity(*row).despawn_related::<Children>();
    for (n, pick) in recommendations.items().iter().take(SHOWN).enumerate() {
        let item = state.catalogue().get(pick.item);
        let genre = item.and_then(|i| i.tags.first()).map_or("", String::as_str);
        let tags = item.map(|i| i.tags.join(" / ")).unwrap_or_default();
        let reason = match &pick.reason {
            Reason::BecauseYouPlayed { name, .. } => format!("Because you played {name}"),
            other => {
                let text = other.to_string();
                let mut chars = text.chars();
                chars
                    .next()
                    .map(|c| c.to_uppercase().chain(chars).collect())
                    .unwrap_or_default()
            }
        };
        commands.spawn((
            Button,
            Card(pick.item),
            Node {
                width: px(190),
                flex_direction: FlexDirection::Column,
                padding: UiRect::all(px(10)),
                row_gap: px(2),
                border: UiRect::top(px(4)),
                border_radius: BorderRadius::all(px(6)),
                ..default()
            },
            BackgroundColor(PANEL),
            BorderColor::all(genre_colour(genre)),
            ChildOf(*row),
            children![
                (
                    Text::new(format!("{}  ", n + 1)),
                    font(15.0),
                    TextColor(DIM),
                    children![(
                        TextSpan::new(pick.name.clone()),
                        font(15.0),
                        TextColor(TEXT)
                    )],
                ),
                (Text::new(tags), font(11.0), TextColor(DIM)),
                (
                    Text::new(reason),
                    font(13.0),
                    TextColor(REASON),
                    Node {
                        margin: UiRect::top(px(4)),
                        ..default()
                    }
                ),
            ],
        ));
    }
}

/// The buttons that are not library tiles: the cards and the header's settings.
type OtherButtons<'w, 's> = Query<
    'w,
    's,
    (&'static Interaction, &'static mut BackgroundColor),
    (With<Button>, Without<Tile>),
>;

/// Marks played games and hovered buttons.
fn show_library(
    recommendations: Res<Recommendations>,
    mut tiles: Query<(&Tile, &Interaction, &mut BackgroundColor, &Children)>,
    mut buttons: OtherButtons,
    mut texts: Query<&mut TextColor>,
) {
    for (tile, interaction, mut background, children) in &mut tiles {
        let played = recommendations.history().contains(&tile.0);
        let colour = match (interaction, played) {
            (Interaction::Hovered | Interaction::Pressed, _) => PANEL_HOVER,
            (_, true) => Color::srgb(0.16, 0.22, 0.18),
            (_, false) => PANEL,
        };
        background.set_if_neq(BackgroundColor(colour));
        // The name is greyed out once played.
        if let Some(mut text) = children.first().and_then(|&c| texts.get_mut(c).ok()) {
            text.set_if_neq(TextColor(if played { DIM } else { TEXT }));
        }
    }
    for (interaction, mut background) in &mut buttons {
        let colour = match interaction {
            Interaction::Hovered | Interaction::Pressed => PANEL_HOVER,
            Interaction::None => PANEL,
        };
        background.set_if_neq(BackgroundColor(colour));
    }
}

fn show_status(
    recommendations: Res<Recommendations>,
    state: Res<RecommendState>,
    screen: Res<Screen>,
    mut labels: Query<(&Readout, &mut Text)>,
) {
    for (label, mut text) in &mut labels {
        let value = match label {
            Readout::Status => {
                let mut status = format!(
                    "{} games - {} - {} plays remembered",
                    state.catalogue().len(),
                    screen.model_note,
                    recommendations.history().len()
                );
                if let Some(why) = state.fallback() {
                    status.push_str(&format!(" - fallback: {why}"));
                }
                status
            }
            Readout::RowTitle => {
                if recommendations.personalised() {
                    "Recommended for you".to_owned()
                } else if !recommendations.consent() {
                    "Popular games (personalisation is off)".to_owned()
                } else {
                    "Popular games (play something to personalise this row)".to_owned()
                }
            }
            Readout::Log => format!(
                "{}   Click a game or press 1-{SHOWN} to play a pick.",
                screen.log
            ),
            Readout::Action(Action::Personalisation) => format!(
                "[P] Personalisation: {}",
                if recommendations.consent() {
                    "on"
                } else {
                    "off"
                }
            ),
            Readout::Action(Action::Forget) => "[F] Forget my history".to_owned(),
            Readout::Action(Action::Genre) => format!(
                "[G] Preferred genre: {}",
                screen.genre.as_deref().unwrap_or("any")
            ),
        };
        if text.0 != value {
            text.0 = value;
        }
    }
}
