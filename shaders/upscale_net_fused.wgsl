// Fused inference of a Kansei luma upscaler network (`kansei_upscale::net::LumaNet`), every layer
// in workgroup memory over one tile of low-resolution pixels plus its halo.
//
// This file is a template: `kansei_upscale::net_gpu` prepends a block of `const` declarations
// for one (profile, scale) -- channels, kernel sizes, tile and halo sizes, offsets into the packed
// weight buffer, whether to clamp the output -- and replaces the token OUTPUT_FORMAT with the
// destination's texel format, so each network gets its own compute pipeline with every loop bound
// a compile-time constant. The tiling scheme, the halo, the workgroup memory use and the packed
// weight layout are documented in crates/kansei_upscale/src/net_gpu/mod.rs.
//
// Constants the header defines (all sizes in low-resolution pixels):
//   C            feature channels                 SCALE       upscaling factor s
//   HEAD_K       head window (odd)                HEAD_R      HEAD_K / 2
//   BODY_LAYERS  3x3 residual body layers         TAIL_K      tail window, TAIL_R = TAIL_K / 2
//   TILE         output tile side                 HALO        HEAD_R + BODY_LAYERS + TAIL_R
//   MARGIN       HALO - HEAD_R (feature halo)     LUMA_SIDE   TILE + 2 HALO
//   FEAT_SIDE    TILE + 2 MARGIN                  BODY_SLOTS  body positions per invocation
//   W_HEAD, B_HEAD, A_HEAD, W_BODY, BODY_STRIDE, W_TAIL, B_TAIL: offsets into `weights`
//   CLAMP_OUTPUT whether to clamp RGBA to [0, 1] before the store (unorm destinations)
//
// Also prepended: shaders/common/sampling.wgsl (KEYS_A, SourcePosition, source_position,
// keys_weight).

// Mirrors `GpuNetParams` in crates/kansei_upscale/src/net_gpu/mod.rs (16 bytes).
struct NetParams {
    in_size: vec2<u32>,
    out_size: vec2<u32>,
}

const WORKGROUP: u32 = 256u;
const LUMA_AREA: u32 = u32(LUMA_SIDE * LUMA_SIDE);
const FEAT_AREA: u32 = u32(FEAT_SIDE * FEAT_SIDE);
const TILE_AREA: u32 = u32(TILE * TILE);
const SUB_PIXELS: u32 = SCALE * SCALE;
const INPUT_OFFSET: f32 = 0.5;
const LUMA_TO_RGB: f32 = 255.0 / 219.0;
// MATLAB rgb2ycbcr luma divided by 255: (16 + 65.481 R + 128.553 G + 24.966 B) / 255.
const Y_OFFSET: f32 = 16.0 / 255.0;
const Y_WEIGHTS: vec3<f32> = vec3<f32>(65.481 / 255.0, 128.553 / 255.0, 24.966 / 255.0);

@group(0) @binding(0) var<uniform> params: NetParams;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var source: texture_2d<f32>;
@group(0) @binding(3) var destination: texture_storage_2d<OUTPUT_FORMAT, write>;

// The network input `Y / 255 - 0.5` over the tile plus HALO, source coordinates clamped.
var<workgroup> luma: array<f32, LUMA_AREA>;
// C feature planes (channel-major) over the tile plus MARGIN; body layers update it in place.
var<workgroup> feat: array<f32, FEAT_AREA * C>;

fn prelu(x: f32, alpha: f32) -> f32 {
    return max(x, 0.0) + alpha * min(x, 0.0);
}

fn outside(g: vec2<i32>, last: vec2<i32>) -> bool {
    return any(g < vec2<i32>(0)) || any(g > last);
}

// Index into a feature plane of the in-image position nearest to `g` (replicate padding).
fn feat_index(g: vec2<i32>, last: vec2<i32>, feat_origin: vec2<i32>) -> u32 {
    let q = clamp(g, vec2<i32>(0), last) - feat_origin;
    return u32(q.y * FEAT_SIDE + q.x);
}

// ---- Bicubic base: the same maths, in the same order, as shaders/resample.wgsl's bicubic. ----

// Weights of the taps at base - 1 ..= base + 2 (index k is base + k - 1).
fn cubic_weights(t: f32) -> array<f32, 4> {
    return array<f32, 4>(keys_weight(1.0 + t), keys_weight(t), keys_weight(1.0 - t), keys_weight(2.0 - t));
}

fn load_clamped(x: i32, y: i32, last: vec2<i32>) -> vec4<f32> {
    return textureLoad(source, clamp(vec2<i32>(x, y), vec2<i32>(0), last), 0);
}

fn cubic_row(y: i32, column: SourcePosition, weights_in: array<f32, 4>, last: vec2<i32>) -> vec4<f32> {
    var w = weights_in;
    let reference = load_clamped(column.base, y, last);
    var acc = reference;
    for (var k = 0; k < 4; k++) {
        acc += w[k] * (load_clamped(column.base + k - 1, y, last) - reference);
    }
    return acc;
}

fn bicubic(hr: vec2<u32>, last: vec2<i32>) -> vec4<f32> {
    let column = source_position(hr.x, params.in_size.x, params.out_size.x);
    let row = source_position(hr.y, params.in_size.y, params.out_size.y);
    let column_weights = cubic_weights(column.t);
    var row_weights = cubic_weights(row.t);
    var rows: array<vec4<f32>, 4>;
    for (var k = 0; k < 4; k++) {
        rows[k] = cubic_row(row.base + k - 1, column, column_weights, last);
    }
    let reference = rows[1];
    var acc = reference;
    for (var k = 0; k < 4; k++) {
        acc += row_weights[k] * (rows[k] - reference);
    }
    return acc;
}

// ---- The network. ----

@compute @workgroup_size(256, 1, 1)
fn upscale(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let last = vec2<i32>(params.in_size) - vec2<i32>(1);
    let tile_origin = vec2<i32>(wid.xy) * TILE;
    let feat_origin = tile_origin - vec2<i32>(MARGIN);

    // 1. Luma of the tile + HALO, read once from the source texture.
    let luma_origin = tile_origin - vec2<i32>(HALO);
    for (var i = li; i < LUMA_AREA; i += WORKGROUP) {
        let g = luma_origin + vec2<i32>(i32(i % u32(LUMA_SIDE)), i32(i / u32(LUMA_SIDE)));
        let rgb = textureLoad(source, clamp(g, vec2<i32>(0), last), 0).rgb;
        luma[i] = Y_OFFSET + dot(Y_WEIGHTS, rgb) - INPUT_OFFSET;
    }
    workgroupBarrier();

    // 2. Head: 1 -> C, HEAD_K x HEAD_K, PReLU, over the tile + MARGIN (in-image positions only).
    for (var i = li; i < FEAT_AREA; i += WORKGROUP) {
        let local = vec2<i32>(i32(i % u32(FEAT_SIDE)), i32(i / u32(FEAT_SIDE)));
        if outside(feat_origin + local, last) {
            continue;
        }
        var acc: array<f32, C>;
        for (var c = 0u; c < C; c++) {
            acc[c] = weights[B_HEAD + c];
        }
        // luma index of tap (ky, kx) of this position: (local + (ky, kx)) in the luma tile.
        for (var ky = 0; ky < HEAD_K; ky++) {
            for (var kx = 0; kx < HEAD_K; kx++) {
                let v = luma[u32((local.y + ky) * LUMA_SIDE + local.x + kx)];
                let tap = u32(ky * HEAD_K + kx);
                for (var c = 0u; c < C; c++) {
                    acc[c] += weights[W_HEAD + c * u32(HEAD_K * HEAD_K) + tap] * v;
                }
            }
        }
        for (var c = 0u; c < C; c++) {
            feat[c * FEAT_AREA + i] = prelu(acc[c], weights[A_HEAD + c]);
        }
    }
    workgroupBarrier();

    // 3. Body: h += PReLU(conv3x3(h)), in place, each layer over a region one pixel smaller.
    for (var l = 0u; l < BODY_LAYERS; l++) {
        let margin = MARGIN - 1 - i32(l);
        let side = TILE + 2 * margin;
        let area = u32(side * side);
        let origin = tile_origin - vec2<i32>(margin);
        let w_base = W_BODY + l * BODY_STRIDE;
        let b_base = w_base + C * C * 9u;
        let a_base = b_base + C;
        var out: array<array<f32, C>, BODY_SLOTS>;
        for (var s = 0u; s < BODY_SLOTS; s++) {
            let i = li + s * WORKGROUP;
            let g = origin + vec2<i32>(i32(i % u32(side)), i32(i / u32(side)));
            if i >= area || outside(g, last) {
                continue;
            }
            for (var co = 0u; co < C; co++) {
                out[s][co] = weights[b_base + co];
            }
            for (var ky = 0; ky < 3; ky++) {
                for (var kx = 0; kx < 3; kx++) {
                    let q = feat_index(g + vec2<i32>(kx - 1, ky - 1), last, feat_origin);
                    let tap = u32(ky * 3 + kx);
                    for (var ci = 0u; ci < C; ci++) {
                        let v = feat[ci * FEAT_AREA + q];
                        for (var co = 0u; co < C; co++) {
                            out[s][co] += weights[w_base + (co * C + ci) * 9u + tap] * v;
                        }
                    }
                }
            }
        }
        workgroupBarrier();
        for (var s = 0u; s < BODY_SLOTS; s++) {
            let i = li + s * WORKGROUP;
            let g = origin + vec2<i32>(i32(i % u32(side)), i32(i / u32(side)));
            if i >= area || outside(g, last) {
                continue;
            }
            let q = feat_index(g, last, feat_origin);
            for (var co = 0u; co < C; co++) {
                feat[co * FEAT_AREA + q] += prelu(out[s][co], weights[a_base + co]);
            }
        }
        workgroupBarrier();
    }

    // 4. Tail (C -> s², TAIL_K x TAIL_K), pixel shuffle, bicubic base, store.
    let tail_taps = u32(TAIL_K * TAIL_K);
    for (var i = li; i < TILE_AREA * SUB_PIXELS; i += WORKGROUP) {
        let p = i / SUB_PIXELS;
        let sub = i % SUB_PIXELS;
        let g = tile_origin + vec2<i32>(i32(p % u32(TILE)), i32(p / u32(TILE)));
        if outside(g, last) {
            continue;
        }
        var acc = weights[B_TAIL + sub];
        for (var ky = 0; ky < TAIL_K; ky++) {
            for (var kx = 0; kx < TAIL_K; kx++) {
                let q = feat_index(g + vec2<i32>(kx - TAIL_R, ky - TAIL_R), last, feat_origin);
                let tap = u32(ky * TAIL_K + kx);
                for (var ci = 0u; ci < C; ci++) {
                    acc += weights[W_TAIL + (sub * C + ci) * tail_taps + tap] * feat[ci * FEAT_AREA + q];
                }
            }
        }
        // Channel i * s + j goes to row offset i, column offset j (PyTorch's PixelShuffle).
        let hr = vec2<u32>(g) * SCALE + vec2<u32>(sub % SCALE, sub / SCALE);
        let base = bicubic(hr, last);
        var value = vec4<f32>(base.rgb + vec3<f32>(acc * LUMA_TO_RGB), base.a);
        if CLAMP_OUTPUT {
            value = clamp(value, vec4<f32>(0.0), vec4<f32>(1.0));
        }
        textureStore(destination, hr, value);
    }
}
