use candle_core::{DType, Device};
use candle_nn::VarMap;
use wgpu::naga;

use super::*;
use crate::eval::Scale;
use crate::net::Profile;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const FORMATS: [wgpu::TextureFormat; 3] = [
    wgpu::TextureFormat::Rgba32Float,
    wgpu::TextureFormat::Rgba16Float,
    wgpu::TextureFormat::Rgba8Unorm,
];

fn architectures() -> Result<Vec<Architecture>, Box<dyn std::error::Error>> {
    let mut out = Vec::new();
    for profile in Profile::ALL {
        for scale in [2, 3, 4] {
            out.push(Architecture::new(profile, Scale::new(scale)?));
        }
    }
    Ok(out)
}

fn packed(arch: Architecture) -> Result<PackedWeights, Box<dyn std::error::Error>> {
    let varmap = VarMap::new();
    let vb = kansei_nn::seeded_var_builder(&varmap, 1, DType::F32, &Device::Cpu);
    Ok(PackedWeights::from_net(&LumaNet::new(arch, &vb)?)?)
}

fn parse(wgsl: &str) -> Result<naga::Module, String> {
    naga::front::wgsl::parse_str(wgsl).map_err(|e| e.emit_to_string(wgsl))
}

#[test]
fn every_generated_shader_is_valid_wgsl() -> TestResult {
    for arch in architectures()? {
        let weights = packed(arch)?;
        let plan = TilePlan::new(&arch);
        for format in FORMATS {
            let wgsl = shader_source(&weights, &plan, format)?;
            let module = parse(&wgsl)?;
            naga::valid::Validator::new(
                naga::valid::ValidationFlags::all(),
                naga::valid::Capabilities::empty(),
            )
            .validate(&module)
            .map_err(|e| format!("{}: {e:?}", arch.model_name()))?;
        }
    }
    Ok(())
}

#[test]
fn unsupported_output_format_is_an_error() -> TestResult {
    let arch = Architecture::new(Profile::Fast, Scale::new(2)?);
    let result = shader_source(
        &packed(arch)?,
        &TilePlan::new(&arch),
        wgpu::TextureFormat::Bgra8Unorm,
    );
    assert!(matches!(result, Err(GpuNetError::UnsupportedFormat { .. })));
    Ok(())
}

#[test]
fn params_layout_matches_the_shader() -> TestResult {
    let arch = Architecture::new(Profile::Fast, Scale::new(2)?);
    let wgsl = shader_source(&packed(arch)?, &TilePlan::new(&arch), RGBA32F)?;
    let module = parse(&wgsl)?;
    let (offsets, span) =
        crate::gpu::wgsl_struct_layout(&module, "NetParams").ok_or("no NetParams in the shader")?;
    assert_eq!(span as usize, size_of::<GpuNetParams>());
    assert_eq!(
        offsets,
        [("in_size".to_owned(), 0), ("out_size".to_owned(), 8)]
    );
    assert_eq!(std::mem::offset_of!(GpuNetParams, out_size), 8);
    Ok(())
}

#[test]
fn tile_plans_fit_the_default_workgroup_memory() -> TestResult {
    for arch in architectures()? {
        let plan = TilePlan::new(&arch);
        eprintln!(
            "{}: tile {} halo {} margin {} luma {}² features {}x{}² = {} B, {:.2} texels/LR px, \
             {:.0} MACs/LR px executed ({} nominal), body slots {}",
            arch.model_name(),
            plan.tile,
            plan.halo,
            plan.margin,
            plan.luma_side(),
            plan.channels,
            plan.feature_side(),
            plan.workgroup_bytes(),
            plan.input_texels_per_lr_pixel(),
            plan.macs_per_lr_pixel(&arch),
            arch.macs_per_pixel(),
            plan.body_slots,
        );
        assert_eq!(plan.halo as usize, arch.halo());
        let s2 = (arch.factor() * arch.factor()) as f64;
        let bytes = plan.bytes_per_lr_pixel(&arch, 16, 8);
        assert!((bytes - (16.0 * plan.input_texels_per_lr_pixel() + 8.0 * s2)).abs() < 1e-9);
        assert!(plan.workgroup_bytes() <= WORKGROUP_MEMORY_BUDGET);
        // One more pixel of tile would not fit: the plan is the largest.
        let bigger = TilePlan {
            tile: plan.tile + 1,
            ..plan
        };
        assert!(bigger.workgroup_bytes() > WORKGROUP_MEMORY_BUDGET);
        // Enough register slots for the largest body region, and no more.
        let first_body = u32::pow(plan.tile + 2 * plan.margin.saturating_sub(1), 2);
        assert!(plan.body_slots * WORKGROUP_INVOCATIONS >= first_body);
        assert!((plan.body_slots - 1) * WORKGROUP_INVOCATIONS < first_body);
        // The executed cost is the nominal cost plus halo recomputation.
        assert!(plan.macs_per_lr_pixel(&arch) >= arch.macs_per_pixel() as f64);
    }
    Ok(())
}

#[test]
fn packed_weights_follow_the_tensor_order() -> TestResult {
    for arch in architectures()? {
        let varmap = VarMap::new();
        let vb = kansei_nn::seeded_var_builder(&varmap, 2, DType::F32, &Device::Cpu);
        let net = LumaNet::new(arch, &vb)?;
        let weights = PackedWeights::from_net(&net)?;
        let mut flat = Vec::new();
        for (_, tensor) in net.tensors() {
            flat.extend(tensor.flatten_all()?.to_vec1::<f32>()?);
        }
        assert_eq!(weights.values, flat);
        let (c, s2) = (arch.channels, arch.factor() * arch.factor());
        assert_eq!(weights.head_bias, c * arch.head_kernel.pow(2));
        assert_eq!(weights.body, weights.head_alpha + c);
        assert_eq!(
            weights.tail_weight,
            weights.body + arch.body_layers * weights.body_stride
        );
        assert_eq!(
            weights.len(),
            weights.tail_bias + s2,
            "{}",
            arch.model_name()
        );
        // A missing tensor is an error, not a panic.
        let mut tensors = net.tensors();
        tensors.retain(|(name, _)| name != "tail.bias");
        assert!(matches!(
            PackedWeights::from_tensors(arch, &tensors),
            Err(GpuNetError::WeightShape { actual: 0, .. })
        ));
    }
    Ok(())
}

#[test]
fn half_floats_decode() {
    assert_eq!(f16_to_f32(0x3c00), 1.0);
    assert_eq!(f16_to_f32(0xc000), -2.0);
    assert_eq!(f16_to_f32(0x3555), 0.333_251_95);
    assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
    assert_eq!(f16_to_f32(0x7c00), f32::INFINITY);
    assert!(f16_to_f32(0x7e00).is_nan());
    assert_eq!(f16_to_f32(0x0000), 0.0);
}

#[test]
fn a_loaded_model_packs_like_its_network() -> TestResult {
    let arch = Architecture::new(Profile::Balanced, Scale::new(3)?);
    let varmap = VarMap::new();
    let vb = kansei_nn::seeded_var_builder(&varmap, 4, DType::F32, &Device::Cpu);
    let net = LumaNet::new(arch, &vb)?;
    let mut model = kansei_nn::LoadedModel {
        card: kansei_nn::ModelCard {
            name: arch.model_name(),
            ..Default::default()
        },
        tensors: net.tensors().into_iter().collect(),
    };
    assert_eq!(
        PackedWeights::from_loaded(&model)?,
        PackedWeights::from_net(&net)?
    );
    model.card.name = "not-an-upscaler".to_owned();
    assert!(matches!(
        PackedWeights::from_loaded(&model),
        Err(GpuNetError::Net(_))
    ));
    Ok(())
}
