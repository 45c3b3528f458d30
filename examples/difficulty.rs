//! Adaptive difficulty in a small game: collect the gems before time runs out while dodging the
//! shots, and watch [`DifficultyPlugin`] keep the success rate near its 70% target.
//!
//! Each encounter asks for [`GEMS`] gems within a time limit; shots fly in from the arena's
//! edges while the pacing director allows spawns (build-up and peak, not fade and relax). The
//! knobs set the encounter: `enemy_damage` scales the damage of a hit, `spawn_count` is how many
//! shots may fly at once, `time_limit_s` (divided by [`TIME_LIMIT_DIVISOR`] to keep encounters a
//! few seconds long) the time allowed. After each encounter the game writes an
//! [`EncounterFinished`]; the plugin answers with the next difficulty and its explanation.
//!
//! A bot plays by default so the adaptation shows on its own; any movement key hands control to
//! you, `B` gives it back. On the right, the plot shows the success rate over the last
//! [`RATE_WINDOW`] encounters (green, the dashed line is the 70% target), the difficulty
//! (orange) and the director's intensity (blue) over time; dots below it mark each encounter,
//! green won and red lost. The latest explanation is at the bottom.
//!
//! ```text
//! cargo run --example difficulty
//! ```
//!
//! Keys: arrows or `WASD` move; `B` hands control back to the bot; `O` switches adaptive
//! difficulty off and on (off returns to the designer's default at once); `C` toggles
//! competitive mode; `F` runs the game eight times faster.
//!
//! Non-interactive run (what `scripts/test` does): the game runs [`CAPTURE_SPEED`] times faster
//! (encounters every second or so), and the screenshot is taken at frame [`CAPTURE_FRAME`]
//! unless `KANSEI_CAPTURE_FRAME` says otherwise, so the plot holds a few dozen encounters.
//!
//! ```text
//! KANSEI_CAPTURE=screenshots/difficulty.png xvfb-run -a cargo run --example difficulty
//! ```

#[path = "support/capture.rs"]
mod capture;

use std::{collections::VecDeque, sync::Arc};

use bevy::{camera::ScalingMode, color::palettes::css, prelude::*};
use bevy_kansei::{
    KanseiPlugins,
    difficulty::{
        director::{DirectorConfig, Phase},
        plugin::{
            CompetitiveMode, DifficultyChanged, DifficultyKnobValues, DifficultyPlugin,
            DifficultyState, EncounterFinished, Pacing, PacingEvent,
        },
        quit_risk::{DEFAULT_MODEL_PATH, QuitRisk, QuitRiskModel},
    },
    player::EncounterOutcome,
};

/// Gems to collect per encounter.
const GEMS: u32 = 5;
/// The `time_limit_s` knob (75-180 s, for a level) over this is an encounter's time limit here.
const TIME_LIMIT_DIVISOR: f32 = 20.0;
/// Health at the start of each encounter; a hit at `enemy_damage` 1.0 takes [`HIT_DAMAGE`].
const MAX_HEALTH: f32 = 100.0;
const HIT_DAMAGE: f32 = 35.0;
/// Movement speed of the player (and the bot), world units (pixels) per second.
const PLAYER_SPEED: f32 = 330.0;
const PLAYER_RADIUS: f32 = 12.0;
const GEM_RADIUS: f32 = 10.0;
const SHOT_RADIUS: f32 = 7.0;
/// Seconds between two shots while spawning is allowed and fewer than `spawn_count` fly.
const SHOT_INTERVAL: f32 = 0.15;
/// Share of the shots the bot notices; it walks into the others unless they miss.
const BOT_ATTENTION: f32 = 0.4;
/// Seconds between encounters.
const PAUSE: f32 = 0.6;
/// Encounters the plotted success rate is taken over.
const RATE_WINDOW: usize = 10;
/// Seconds of game time between plot samples, and samples shown.
const SAMPLE_SECONDS: f32 = 0.5;
const SAMPLES_SHOWN: usize = 240;
/// Game speed and screenshot frame in capture mode.
const CAPTURE_SPEED: f32 = 12.0;
const CAPTURE_FRAME: u32 = 600;

/// The arena (left) and the plot (right), in world units: the camera shows 1280 x 720 of them.
const ARENA: Rect = Rect {
    min: Vec2::new(-620.0, -250.0),
    max: Vec2::new(-60.0, 290.0),
};
const PLOT: Rect = Rect {
    min: Vec2::new(0.0, -130.0),
    max: Vec2::new(610.0, 290.0),
};

fn main() -> AppExit {
    let capture = capture::CaptureSettings::from_env(Some(CAPTURE_FRAME));
    let speed = if capture.is_some() {
        CAPTURE_SPEED
    } else {
        1.0
    };
    let mut app = App::new();
    app.add_plugins((
        capture::default_plugins("Kansei adaptive difficulty", capture.as_ref()),
        KanseiPlugins.set(DifficultyPlugin {
            director: pacing(),
            quit_risk: quit_risk(),
            ..default()
        }),
    ))
    .insert_resource(ClearColor(Color::srgb(0.07, 0.08, 0.10)))
    .insert_resource(Time::<Fixed>::from_hz(60.0))
    .insert_resource(Game::new(speed))
    .init_resource::<History>()
    .add_systems(Startup, setup)
    .add_systems(FixedUpdate, (play, sample).chain())
    .add_systems(
        Update,
        (keys, note_changes, draw_arena, draw_plot, show_text),
    );
    if let Some(capture) = capture {
        app.add_plugins(capture::CapturePlugin(capture));
    }
    app.run()
}

/// The trained quit-risk model, if its file is there (run from the repository root).
fn quit_risk() -> Option<Arc<dyn QuitRisk>> {
    match QuitRiskModel::load(DEFAULT_MODEL_PATH) {
        Ok(model) => Some(Arc::new(model)),
        Err(error) => {
            // Logging is not set up yet.
            eprintln!("no quit-risk model ({error}): the controller works from skill alone");
            None
        }
    }
}

/// The director tuned for encounters of a few seconds: short peaks and short quiet stretches
/// (the shipped config's 30-45 s of relax suit levels, not this arcade loop).
fn pacing() -> DirectorConfig {
    DirectorConfig {
        damage_gain: 1.2,
        decay_per_second: 0.12,
        peak_intensity: 0.75,
        peak_seconds: (1.5, 2.5),
        relax_below: 0.25,
        relax_seconds: (1.0, 2.0),
        ..default()
    }
}

/// One shot: a small ball flying in a straight line.
struct Shot {
    position: Vec2,
    velocity: Vec2,
    /// Whether the bot sees this one coming.
    noticed: bool,
}

/// The whole game state; the game runs in `FixedUpdate` at 60 Hz of game time.
#[derive(Resource)]
struct Game {
    rng: u64,
    speed: f32,
    fast: bool,
    bot: bool,
    player: Vec2,
    health: f32,
    gem: Vec2,
    collected: u32,
    shots: Vec<Shot>,
    shot_timer: f32,
    /// Seconds into the encounter; negative during the pause before it.
    clock: f32,
    /// The encounter's settings, from the knobs when it started.
    difficulty: f32,
    damage: f32,
    spawn_cap: usize,
    time_limit: f32,
    damage_taken: f32,
    encounters: u32,
    wins: u32,
}

impl Game {
    fn new(speed: f32) -> Self {
        Self {
            rng: 0x5EED_CAFE,
            speed,
            fast: false,
            bot: true,
            player: ARENA.center(),
            health: MAX_HEALTH,
            gem: ARENA.center(),
            collected: 0,
            shots: Vec::new(),
            shot_timer: 0.0,
            clock: -PAUSE,
            difficulty: 0.5,
            damage: HIT_DAMAGE,
            spawn_cap: 5,
            time_limit: 5.0,
            damage_taken: 0.0,
            encounters: 0,
            wins: 0,
        }
    }

    /// `SplitMix64`, mapped to `[0, 1)`.
    fn random(&mut self) -> f32 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 40) as f32 / (1u64 << 24) as f32
    }

    fn random_point(&mut self, margin: f32) -> Vec2 {
        let (x, y) = (self.random(), self.random());
        let min = ARENA.min + margin;
        let size = ARENA.size() - 2.0 * margin;
        min + Vec2::new(x, y) * size
    }

    fn start(&mut self, knobs: &DifficultyKnobValues) {
        self.difficulty = knobs.difficulty();
        self.damage = HIT_DAMAGE * knobs.get("enemy_damage").unwrap_or(1.0);
        self.spawn_cap = knobs.get("spawn_count").unwrap_or(5.0).max(0.0) as usize;
        self.time_limit = knobs.get("time_limit_s").unwrap_or(120.0) / TIME_LIMIT_DIVISOR;
        self.health = MAX_HEALTH;
        self.damage_taken = 0.0;
        self.collected = 0;
        self.clock = 0.0;
        self.shot_timer = 0.0;
        self.gem = self.random_point(40.0);
    }

    /// Where the bot wants to go: towards the gem, away from shots about to hit. It notices only
    /// [`BOT_ATTENTION`] of the shots, and only within a short range, so it can be overwhelmed.
    fn bot_direction(&self) -> Vec2 {
        let mut direction = (self.gem - self.player).normalize_or_zero();
        for shot in self.shots.iter().filter(|shot| shot.noticed) {
            let offset = self.player - shot.position;
            let distance = offset.length();
            let closing = -offset.dot(shot.velocity) / distance.max(1.0);
            if distance < 95.0 && closing > 0.0 {
                // Step sideways from the shot's path, more strongly the closer it is.
                let side = shot.velocity.perp().normalize_or_zero();
                let side = if side.dot(offset) >= 0.0 { side } else { -side };
                direction += side * (95.0 - distance) / 30.0;
            }
        }
        direction.normalize_or_zero()
    }
}

/// What the plot shows.
#[derive(Resource, Default)]
struct History {
    /// Game seconds since the start.
    clock: f32,
    next_sample: f32,
    /// (time, success rate, difficulty, intensity).
    samples: VecDeque<(f32, f32, f32, f32)>,
    /// (time, won) per encounter.
    encounters: VecDeque<(f32, bool)>,
    recent: VecDeque<bool>,
    /// Changes of difficulty seen, for the text.
    changes: u32,
}

impl History {
    fn success_rate(&self) -> Option<f32> {
        (!self.recent.is_empty()).then(|| {
            self.recent.iter().filter(|&&won| won).count() as f32 / self.recent.len() as f32
        })
    }
}

#[derive(Component)]
enum Readout {
    Status,
    Explanation,
}

fn setup(mut commands: Commands, mut gizmos: ResMut<GizmoConfigStore>) {
    commands.spawn((
        Camera3d::default(),
        Projection::from(OrthographicProjection {
            scaling_mode: ScalingMode::Fixed {
                width: 1280.0,
                height: 720.0,
            },
            ..OrthographicProjection::default_3d()
        }),
        Transform::from_xyz(0.0, 0.0, 100.0).looking_at(Vec3::ZERO, Vec3::Y),
    ));
    gizmos.config_mut::<DefaultGizmoConfigGroup>().0.line.width = 2.5;

    let text = |size: f32| TextFont::from_font_size(size);
    commands.spawn((
        Text::new("Collect the gems, dodge the shots"),
        text(22.0),
        TextColor(Color::WHITE),
        Node {
            position_type: PositionType::Absolute,
            left: Val::Px(20.0),
            top: Val::Px(12.0),
            ..default()
        },
    ));
    // The legend, in the plot's colours.
    commands.spawn((
        Text::new("success rate"),
        text(18.0),
        TextColor(css::LIME.into()),
        Node {
            position_type: PositionType::Absolute,
            left: Val::Px(640.0),
            top: Val::Px(16.0),
            ..default()
        },
        children![
            (
                TextSpan::new("  difficulty"),
                text(18.0),
                TextColor(css::ORANGE.into())
            ),
            (
                TextSpan::new("  intensity"),
                text(18.0),
                TextColor(css::DODGER_BLUE.into())
            ),
            (
                TextSpan::new("  - - 70% target"),
                text(18.0),
                TextColor(css::GREEN.into())
            ),
        ],
    ));
    commands.spawn((
        Readout::Status,
        Text::new(""),
        text(18.0),
        TextColor(Color::srgb(0.85, 0.85, 0.85)),
        Node {
            position_type: PositionType::Absolute,
            left: Val::Px(640.0),
            top: Val::Px(518.0),
            width: Val::Px(620.0),
            ..default()
        },
    ));
    commands.spawn((
        Readout::Explanation,
        Text::new("No change yet: the difficulty starts at the designer's default."),
        text(19.0),
        TextColor(Color::srgb(1.0, 0.85, 0.45)),
        Node {
            position_type: PositionType::Absolute,
            left: Val::Px(20.0),
            top: Val::Px(650.0),
            width: Val::Px(1240.0),
            ..default()
        },
    ));
}

/// One fixed step of the game: movement, shots, hits, gems, and the end of an encounter.
#[expect(clippy::too_many_arguments, reason = "a Bevy system")]
fn play(
    time: Res<Time>,
    keys: Res<ButtonInput<KeyCode>>,
    knobs: Res<DifficultyKnobValues>,
    mut game: ResMut<Game>,
    mut pacing: ResMut<Pacing>,
    mut history: ResMut<History>,
    mut finished: MessageWriter<EncounterFinished>,
    mut events: MessageWriter<PacingEvent>,
) {
    let dt = time.delta_secs();
    history.clock += dt;
    let game = &mut *game;
    if game.clock < 0.0 {
        game.clock += dt;
        if game.clock >= 0.0 {
            game.start(&knobs);
        }
        return;
    }
    game.clock += dt;

    // The player: keys, or the bot.
    let mut input = Vec2::ZERO;
    for (key, direction) in [
        (KeyCode::ArrowLeft, Vec2::NEG_X),
        (KeyCode::KeyA, Vec2::NEG_X),
        (KeyCode::ArrowRight, Vec2::X),
        (KeyCode::KeyD, Vec2::X),
        (KeyCode::ArrowUp, Vec2::Y),
        (KeyCode::KeyW, Vec2::Y),
        (KeyCode::ArrowDown, Vec2::NEG_Y),
        (KeyCode::KeyS, Vec2::NEG_Y),
    ] {
        if keys.pressed(key) {
            input += direction;
        }
    }
    if input != Vec2::ZERO {
        game.bot = false;
    }
    let direction = if game.bot {
        game.bot_direction()
    } else {
        input.normalize_or_zero()
    };
    game.player = (game.player + direction * PLAYER_SPEED * dt)
        .clamp(ARENA.min + PLAYER_RADIUS, ARENA.max - PLAYER_RADIUS);

    // Shots: spawned at the edges, aimed near the player, while the director allows it.
    game.shot_timer -= dt;
    if pacing.spawns_allowed() && game.shots.len() < game.spawn_cap && game.shot_timer <= 0.0 {
        game.shot_timer = SHOT_INTERVAL;
        let along = game.random();
        let edge = (game.random() * 4.0) as u32;
        let start = match edge {
            0 => Vec2::new(ARENA.min.x, ARENA.min.y + along * ARENA.height()),
            1 => Vec2::new(ARENA.max.x, ARENA.min.y + along * ARENA.height()),
            2 => Vec2::new(ARENA.min.x + along * ARENA.width(), ARENA.min.y),
            _ => Vec2::new(ARENA.min.x + along * ARENA.width(), ARENA.max.y),
        };
        let aim = game.player + (Vec2::new(game.random(), game.random()) - 0.5) * 80.0;
        let speed = 260.0 + 140.0 * game.random();
        let noticed = game.random() < BOT_ATTENTION;
        game.shots.push(Shot {
            position: start,
            velocity: (aim - start).normalize_or_zero() * speed,
            noticed,
        });
    }
    let player = game.player;
    let mut hits = 0;
    game.shots.retain_mut(|shot| {
        shot.position += shot.velocity * dt;
        if shot.position.distance(player) < PLAYER_RADIUS + SHOT_RADIUS {
            hits += 1;
            return false;
        }
        ARENA.inflate(20.0).contains(shot.position)
    });
    for _ in 0..hits {
        let damage = game.damage.min(game.health);
        game.health -= damage;
        game.damage_taken += damage;
        events.write(PacingEvent::Damage {
            fraction: damage / MAX_HEALTH,
            health_left: game.health / MAX_HEALTH,
        });
    }
    pacing.engaged = game
        .shots
        .iter()
        .any(|shot| shot.position.distance(player) < 150.0);

    // Gems.
    if game.player.distance(game.gem) < PLAYER_RADIUS + GEM_RADIUS {
        game.collected += 1;
        game.gem = game.random_point(40.0);
    }

    // The end of the encounter.
    let won = game.collected >= GEMS;
    if won || game.health <= 0.0 || game.clock >= game.time_limit {
        finished.write(EncounterFinished(EncounterOutcome {
            difficulty: game.difficulty,
            success: won,
            seconds: game.clock,
            damage_taken: game.damage_taken,
            ..default()
        }));
        game.encounters += 1;
        game.wins += u32::from(won);
        game.shots.clear();
        game.clock = -PAUSE;
        let now = history.clock;
        history.encounters.push_back((now, won));
        history.recent.push_back(won);
        if history.recent.len() > RATE_WINDOW {
            history.recent.pop_front();
        }
    }
}

/// Samples the plotted values.
fn sample(state: Res<DifficultyState>, pacing: Res<Pacing>, mut history: ResMut<History>) {
    if history.clock < history.next_sample {
        return;
    }
    history.next_sample = history.clock + SAMPLE_SECONDS;
    let sample = (
        history.clock,
        history.success_rate().unwrap_or(f32::NAN),
        state.difficulty(),
        pacing.intensity(),
    );
    history.samples.push_back(sample);
    if history.samples.len() > SAMPLES_SHOWN {
        history.samples.pop_front();
    }
    if let Some(&(first, _, _, _)) = history.samples.front() {
        while history.encounters.front().is_some_and(|(t, _)| *t < first) {
            history.encounters.pop_front();
        }
    }
}

fn keys(
    mut commands: Commands,
    keys: Res<ButtonInput<KeyCode>>,
    competitive: Option<Res<CompetitiveMode>>,
    mut state: ResMut<DifficultyState>,
    mut game: ResMut<Game>,
    mut time: ResMut<Time<Virtual>>,
) {
    if keys.just_pressed(KeyCode::KeyB) {
        game.bot = true;
    }
    if keys.just_pressed(KeyCode::KeyO) {
        let on = !state.adaptive();
        state.set_adaptive(on);
    }
    if keys.just_pressed(KeyCode::KeyC) {
        if competitive.is_some() {
            commands.remove_resource::<CompetitiveMode>();
        } else {
            commands.insert_resource(CompetitiveMode);
        }
    }
    if keys.just_pressed(KeyCode::KeyF) {
        game.fast = !game.fast;
    }
    let speed = game.speed * if game.fast { 8.0 } else { 1.0 };
    if time.relative_speed() != speed {
        time.set_relative_speed(speed);
    }
}

fn note_changes(mut changes: MessageReader<DifficultyChanged>, mut history: ResMut<History>) {
    history.changes += changes.read().count() as u32;
}

fn draw_arena(mut gizmos: Gizmos, game: Res<Game>, pacing: Res<Pacing>) {
    let phase_colour = match pacing.phase() {
        Phase::BuildUp => css::ORANGE,
        Phase::Peak => css::RED,
        Phase::Fade => css::SLATE_BLUE,
        Phase::Relax => css::SEA_GREEN,
    };
    gizmos.rect_2d(ARENA.center(), ARENA.size(), phase_colour);
    // Time left, as a bar under the arena.
    if game.clock >= 0.0 {
        let left = (1.0 - game.clock / game.time_limit).clamp(0.0, 1.0);
        let y = ARENA.min.y - 14.0;
        gizmos.line_2d(
            Vec2::new(ARENA.min.x, y),
            Vec2::new(ARENA.min.x + left * ARENA.width(), y),
            css::LIGHT_GRAY,
        );
        let health = (game.health / MAX_HEALTH).clamp(0.0, 1.0);
        gizmos.line_2d(
            Vec2::new(ARENA.min.x, y - 8.0),
            Vec2::new(ARENA.min.x + health * ARENA.width(), y - 8.0),
            css::CRIMSON,
        );
    }
    for radius in [GEM_RADIUS, GEM_RADIUS * 0.5] {
        gizmos.circle_2d(game.gem, radius, css::GOLD);
    }
    let player_colour = if game.bot { css::AQUA } else { css::WHITE };
    for radius in [PLAYER_RADIUS, PLAYER_RADIUS * 0.6, PLAYER_RADIUS * 0.25] {
        gizmos.circle_2d(game.player, radius, player_colour);
    }
    for shot in &game.shots {
        gizmos.circle_2d(shot.position, SHOT_RADIUS, css::TOMATO);
        gizmos.circle_2d(shot.position, SHOT_RADIUS * 0.4, css::TOMATO);
    }
}

fn draw_plot(mut gizmos: Gizmos, history: Res<History>) {
    gizmos.rect_2d(PLOT.center(), PLOT.size(), css::DIM_GRAY);
    let y = |value: f32| PLOT.min.y + value.clamp(0.0, 1.0) * PLOT.height();
    for grid in [0.25, 0.5, 0.75] {
        gizmos.line_2d(
            Vec2::new(PLOT.min.x, y(grid)),
            Vec2::new(PLOT.max.x, y(grid)),
            Color::srgb(0.2, 0.2, 0.22),
        );
    }
    // The 70% target, dashed.
    let mut x = PLOT.min.x;
    while x < PLOT.max.x {
        gizmos.line_2d(
            Vec2::new(x, y(0.7)),
            Vec2::new((x + 8.0).min(PLOT.max.x), y(0.7)),
            css::GREEN,
        );
        x += 16.0;
    }
    let Some(&(start, ..)) = history.samples.front() else {
        return;
    };
    let span = SAMPLE_SECONDS * SAMPLES_SHOWN as f32;
    let x = |t: f32| PLOT.min.x + (t - start) / span * PLOT.width();
    let rate = history
        .samples
        .iter()
        .filter(|s| !s.1.is_nan())
        .map(|s| Vec2::new(x(s.0), y(s.1)));
    gizmos.linestrip_2d(rate, css::LIME);
    gizmos.linestrip_2d(
        history.samples.iter().map(|s| Vec2::new(x(s.0), y(s.2))),
        css::ORANGE,
    );
    gizmos.linestrip_2d(
        history.samples.iter().map(|s| Vec2::new(x(s.0), y(s.3))),
        css::DODGER_BLUE,
    );
    for &(t, won) in &history.encounters {
        let colour = if won { css::LIME } else { css::RED };
        let point = Vec2::new(x(t), PLOT.min.y - 16.0);
        gizmos.circle_2d(point, 4.0, colour);
        gizmos.circle_2d(point, 2.0, colour);
    }
}

fn show_text(
    game: Res<Game>,
    state: Res<DifficultyState>,
    knobs: Res<DifficultyKnobValues>,
    pacing: Res<Pacing>,
    history: Res<History>,
    mut labels: Query<(&Readout, &mut Text)>,
) {
    for (label, mut text) in &mut labels {
        let value = match label {
            Readout::Status => {
                let mode = if state.competitive() {
                    "competitive mode (C)"
                } else if state.adaptive() {
                    "adaptive on (O)"
                } else {
                    "adaptive off (O)"
                };
                let knob = |name| knobs.get(name).unwrap_or(f32::NAN);
                let quit_risk = match state.session().last_decision() {
                    Some(decision) => match decision.quit_risk {
                        Some(risk) => format!("quit risk {risk:.2}"),
                        None => "no quit-risk model".to_owned(),
                    },
                    None => "no decision yet".to_owned(),
                };
                format!(
                    "encounter {} - {} won ({:.0}%) - {} changes\n\
                     difficulty {:.2} ({} tier) - {mode}\n\
                     enemy_damage {:.2}  spawn_count {}  time_limit_s {:.0}\n\
                     pacing: {}, intensity {:.2} - {quit_risk}\n\
                     {}",
                    game.encounters,
                    game.wins,
                    100.0 * history.success_rate().unwrap_or(0.0),
                    history.changes,
                    state.difficulty(),
                    state.tier().name,
                    knob("enemy_damage"),
                    knob("spawn_count"),
                    knob("time_limit_s"),
                    pacing.phase(),
                    pacing.intensity(),
                    if game.bot {
                        "bot playing (arrows/WASD: take over)"
                    } else {
                        "you are playing (B: bot)"
                    },
                )
            }
            Readout::Explanation => match state.explanation() {
                Some(reason) => format!("Latest change: {reason}"),
                None => continue,
            },
        };
        if text.0 != value {
            text.0 = value;
        }
    }
}
