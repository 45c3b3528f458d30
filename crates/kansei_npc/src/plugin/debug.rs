//! The debug view: perception cones, paths, flow fields and each NPC's current decision with
//! its score, drawn with gizmos and toggled at run time through [`NpcDebug`].

use bevy::color::Hsla;
use bevy::prelude::*;
use glam::Vec2;

use super::components::{DecisionHistory, Locomotion, NpcAgent, NpcTier, Senses};
use super::resources::{FlowFields, NavWorld};

/// What the debug view draws. Off by default; flip `enabled` (the NPC example binds it to
/// `G`). Drawing needs Bevy's gizmos (`GizmoPlugin`, part of `DefaultPlugins`); without them
/// nothing is drawn.
#[derive(Resource, Clone, Copy, Debug, PartialEq)]
pub struct NpcDebug {
    /// Master switch. The default is `false`.
    pub enabled: bool,
    /// Sight cones of the NPCs in these tiers (hero, active, crowd). The default is heroes
    /// only: hundreds of cones hide everything else.
    pub cones: [bool; 3],
    /// Paths being followed. The default is `true`.
    pub paths: bool,
    /// Flow fields (one arrow every `flow_stride` cells). The default is `true`.
    pub flow_fields: bool,
    /// Each NPC's latest decision: a ring in a colour per choice, and a bar whose height is
    /// its score. The default is `true`.
    pub decisions: bool,
    /// Cells between flow-field arrows. The default is 4.
    pub flow_stride: u32,
    /// Height above the ground at which things are drawn, in metres. The default is 0.05.
    pub height: f32,
}

impl Default for NpcDebug {
    fn default() -> Self {
        Self {
            enabled: false,
            cones: [true, false, false],
            paths: true,
            flow_fields: true,
            decisions: true,
            flow_stride: 4,
            height: 0.05,
        }
    }
}

/// A stable colour for a decision label, so the same choice always has the same colour.
pub fn choice_color(label: &str) -> Color {
    let hash = label
        .bytes()
        .fold(2166136261u32, |h, b| (h ^ b as u32).wrapping_mul(16777619));
    Color::Hsla(Hsla::new((hash % 360) as f32, 0.85, 0.55, 1.0))
}

pub(crate) fn draw_debug(
    debug: Res<NpcDebug>,
    nav: Res<NavWorld>,
    flows: Res<FlowFields>,
    npcs: Query<(&NpcAgent, &NpcTier, &Senses, &Locomotion, &DecisionHistory)>,
    mut gizmos: Gizmos,
) {
    if !debug.enabled {
        return;
    }
    let h = debug.height;
    let at = |p: Vec2| Vec3::new(p.x, h, p.y);
    for (agent, tier, senses, locomotion, history) in &npcs {
        if debug.cones[tier.0.index()]
            && let Some(cone) = senses.sight
        {
            let facing = agent.facing.try_normalize().unwrap_or(Vec2::X);
            let color = Color::srgba(1.0, 0.9, 0.3, 0.5);
            let segments = 12;
            let mut previous = at(agent.position);
            for i in 0..=segments {
                let angle = -cone.half_angle + 2.0 * cone.half_angle * i as f32 / segments as f32;
                let edge = agent.position + Vec2::from_angle(angle).rotate(facing) * cone.range;
                gizmos.line(previous, at(edge), color);
                previous = at(edge);
            }
            gizmos.line(previous, at(agent.position), color);
        }
        if debug.paths && !locomotion.path.is_finished() {
            let points = std::iter::once(agent.position)
                .chain(locomotion.path.current())
                .chain(
                    locomotion
                        .path
                        .waypoints()
                        .iter()
                        .copied()
                        .skip_while(|w| Some(*w) != locomotion.path.current())
                        .skip(1),
                );
            gizmos.linestrip(points.map(at), Color::srgb(0.2, 0.8, 1.0));
        }
        if debug.decisions
            && let Some(last) = history.last()
        {
            let color = choice_color(last.choice.as_str());
            let isometry = Isometry3d::new(
                at(agent.position),
                Quat::from_rotation_x(std::f32::consts::FRAC_PI_2),
            );
            gizmos.circle(isometry, agent.radius + 0.15, color);
            if let Some(score) = last.score {
                let base = at(agent.position) + Vec3::new(agent.radius + 0.2, 0.0, 0.0);
                gizmos.line(base, base + Vec3::Y * score.clamp(0.0, 2.0), color);
            }
        }
    }
    if debug.flow_fields {
        let grid = nav.grid();
        let stride = debug.flow_stride.max(1);
        let color = Color::srgba(0.6, 1.0, 0.6, 0.6);
        for index in 0..flows.len() as u32 {
            let Some(field) = flows.get(index) else {
                continue;
            };
            for y in (0..grid.height()).step_by(stride as usize) {
                for x in (0..grid.width()).step_by(stride as usize) {
                    let center = grid.cell_center(UVec2::new(x, y));
                    if let Some(direction) = field.direction_at(center) {
                        let tip = center + direction * grid.cell_size() * stride as f32 * 0.6;
                        gizmos.arrow(at(center), at(tip), color);
                    }
                }
            }
        }
    }
}
