//! The network, in candle: parameters and the forward pass over one graph (a window, or a batch
//! of windows as their disjoint union). `export.rs` writes the same computation as ONNX.
//!
//! Hosts are described by the services they use and offer (the mean context of their outgoing
//! and incoming flows), their flow counts and whether they are private — never by the volumes
//! of their flows, which is what the decoder must predict. One linear layer embeds them, one
//! round of mean aggregation over their neighbours along the flows (both directions) refines
//! the embedding, and for each flow a small MLP predicts its targets from its two hosts'
//! embeddings and its own context: for each continuous target a mean and a spread (so a
//! service whose volumes vary a lot is not held to a narrow one), for each TCP flag a
//! probability. A second head predicts which service (protocol × port group) the two hosts
//! use from their roles alone — embeddings of their flow counts and privacy and those of their
//! neighbours, which know nothing of services: a service the network never uses between such
//! hosts — file sharing or remote administration from one workstation to another — is itself
//! a deviation.
//!
//! A flow's deviation per target is its deviance residual: `(x − μ) / σ` for a continuous
//! target, `±√(−2 ln P(observed))` for a flag or the service (the sign is that of observed −
//! expected). Its score is the mean of the squared deviations; training minimises the
//! Gaussian, Bernoulli and categorical negative log-likelihood,
//! `mean(deviation²) + 2·Σ ln σ / TARGETS`.

use candle_core::{D, DType, Device, Result, Tensor, Var};

use crate::features::{CLASSES, CONTINUOUS, FLAGS, GROUPS, OBSERVED, PROTOCOLS, Scaling, TARGETS};

/// Width of the first host embedding.
pub const EMBED: usize = 16;
/// Width of the host embedding after aggregation.
pub const HIDDEN: usize = 16;
/// Width of the decoder's hidden layer.
pub const DECODE: usize = 32;
/// Width of the structural host embedding (service head).
pub const ROLE: usize = 16;
/// Width of the service head's hidden layer.
pub const SERVICE_HIDDEN: usize = 16;
/// Decoder outputs: mean and log-spread of each continuous target, a logit per flag.
pub const OUTPUTS: usize = 2 * CONTINUOUS + FLAGS;
/// The smallest spread of a continuous target, in standardised units.
pub const MIN_SIGMA: f32 = 0.1;
/// Flag probabilities are kept within `[P_MIN, 1 − P_MIN]`.
pub const P_MIN: f32 = 1e-4;
/// A service's probability is at least this: a service never seen between such hosts
/// deviates by √(−2 ln 10⁻⁶) ≈ 5.3, enough on its own for a score of 2.8.
pub const P_SERVICE_MIN: f32 = 1e-6;

/// A dense layer, `x · w + b` with `w` as `[inputs, outputs]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dense {
    /// `[inputs, outputs]`, row-major.
    pub weight: Vec<f32>,
    /// `[outputs]`.
    pub bias: Vec<f32>,
    /// Inputs.
    pub inputs: usize,
    /// Outputs.
    pub outputs: usize,
}

impl Dense {
    /// Initialised as torch's `nn.Linear`: weights and biases uniform in ±1/√inputs.
    fn init(rng: &mut fastrand::Rng, inputs: usize, outputs: usize) -> Dense {
        let bound = 1.0 / (inputs as f32).sqrt();
        let mut uniform = || (rng.f32() * 2.0 - 1.0) * bound;
        Dense {
            weight: (0..inputs * outputs).map(|_| uniform()).collect(),
            bias: (0..outputs).map(|_| uniform()).collect(),
            inputs,
            outputs,
        }
    }
}

/// Dense layers in the model.
const LAYERS: usize = 7;

/// All parameters, as plain numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameters {
    /// Host features → first embedding.
    pub embed: Dense,
    /// First embedding with its neighbours' (out, in) → final embedding.
    pub propagate: Dense,
    /// Decoder hidden layer: source and destination embeddings, flow context.
    pub decode_hidden: Dense,
    /// Decoder output ([`OUTPUTS`]).
    pub decode_out: Dense,
    /// Role embedding: host features with its neighbours' (out, in) → a structural embedding
    /// that knows nothing of services.
    pub role: Dense,
    /// Service head hidden layer: source and destination roles.
    pub service_hidden: Dense,
    /// Service head output: a logit per service class.
    pub service: Dense,
}

impl Parameters {
    /// Freshly initialised from `seed` for `context` context columns.
    pub fn init(seed: u64, context: usize) -> Parameters {
        let mut rng = fastrand::Rng::with_seed(seed);
        Parameters {
            embed: Dense::init(&mut rng, 2 * context + 3, EMBED),
            propagate: Dense::init(&mut rng, 3 * EMBED, HIDDEN),
            decode_hidden: Dense::init(&mut rng, 2 * HIDDEN + context, DECODE),
            decode_out: Dense::init(&mut rng, DECODE, OUTPUTS),
            role: Dense::init(&mut rng, 9, ROLE),
            service_hidden: Dense::init(&mut rng, 2 * ROLE, SERVICE_HIDDEN),
            service: Dense::init(&mut rng, SERVICE_HIDDEN, CLASSES),
        }
    }

    fn layers(&self) -> [&Dense; LAYERS] {
        [
            &self.embed,
            &self.propagate,
            &self.decode_hidden,
            &self.decode_out,
            &self.role,
            &self.service_hidden,
            &self.service,
        ]
    }

    fn layers_mut(&mut self) -> [&mut Dense; LAYERS] {
        [
            &mut self.embed,
            &mut self.propagate,
            &mut self.decode_hidden,
            &mut self.decode_out,
            &mut self.role,
            &mut self.service_hidden,
            &mut self.service,
        ]
    }

    /// Number of parameters.
    pub fn count(&self) -> usize {
        self.layers()
            .iter()
            .map(|d| d.weight.len() + d.bias.len())
            .sum()
    }
}

/// A dense layer as candle variables.
struct DenseVars {
    weight: Var,
    bias: Var,
}

impl DenseVars {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.matmul(self.weight.as_tensor())?
            .broadcast_add(self.bias.as_tensor())
    }
}

/// The network as candle variables (trainable).
pub struct Network {
    layers: [DenseVars; LAYERS],
}

impl Network {
    /// Variables holding `params`.
    pub fn new(params: &Parameters, device: &Device) -> Result<Network> {
        let vars = |d: &Dense| -> Result<DenseVars> {
            Ok(DenseVars {
                weight: Var::from_vec(d.weight.clone(), (d.inputs, d.outputs), device)?,
                bias: Var::from_vec(d.bias.clone(), d.outputs, device)?,
            })
        };
        let layers = params.layers().map(vars);
        let [a, b, c, d, e, f, g] = layers;
        Ok(Network {
            layers: [a?, b?, c?, d?, e?, f?, g?],
        })
    }

    /// The trainable variables.
    pub fn vars(&self) -> Vec<Var> {
        self.layers
            .iter()
            .flat_map(|l| [l.weight.clone(), l.bias.clone()])
            .collect()
    }

    /// The current values as plain parameters.
    pub fn parameters(&self, template: &Parameters) -> Result<Parameters> {
        let mut params = template.clone();
        for (dense, vars) in params.layers_mut().into_iter().zip(&self.layers) {
            dense.weight = vars.weight.as_tensor().flatten_all()?.to_vec1()?;
            dense.bias = vars.bias.as_tensor().to_vec1()?;
        }
        Ok(params)
    }
}

/// One graph as tensors: features `[F, OBSERVED + context]` (continuous targets standardised),
/// source and destination host indexes `[F]` (i64), host features `[N, 3]`
/// ([`Scaling::host_features`]).
pub struct GraphTensors {
    /// `[F, features]`.
    pub x: Tensor,
    /// `[F]`.
    pub src: Tensor,
    /// `[F]`.
    pub dst: Tensor,
    /// `[N, 3]`.
    pub hosts: Tensor,
}

impl GraphTensors {
    /// From row-major buffers.
    pub fn new(
        x: Vec<f32>,
        src: Vec<i64>,
        dst: Vec<i64>,
        hosts: Vec<f32>,
        device: &Device,
    ) -> Result<GraphTensors> {
        let (flows, n) = (src.len(), hosts.len() / 3);
        let width = x.len() / flows.max(1);
        Ok(GraphTensors {
            x: Tensor::from_vec(x, (flows, width), device)?,
            src: Tensor::from_vec(src, flows, device)?,
            dst: Tensor::from_vec(dst, flows, device)?,
            hosts: Tensor::from_vec(hosts, (n, 3), device)?,
        })
    }
}

/// What the forward pass gives.
pub struct Forward {
    /// Per flow: mean squared deviation `[F]`.
    pub score: Tensor,
    /// Per flow: the training loss (negative log-likelihood, doubled, per target) `[F]`.
    pub loss: Tensor,
    /// Deviance residuals `[F, TARGETS]`.
    pub deviation: Tensor,
    /// Continuous targets predicted, standardised `[F, CONTINUOUS]`.
    pub mean: Tensor,
    /// Flag probabilities `[F, FLAGS]`.
    pub probability: Tensor,
    /// Log-probability of each flow's service `[F, 1]`.
    pub log_service: Tensor,
}

/// Mean of `values` (`[F, d]`) per host by `index` (`[F]`) into `n` rows; `count` is
/// `[n, 1]`, the flows per host, at least 1.
fn scatter_mean(values: &Tensor, index: &Tensor, count: &Tensor, n: usize) -> Result<Tensor> {
    let d = values.dim(1)?;
    Tensor::zeros((n, d), DType::F32, values.device())?
        .index_add(index, values, 0)?
        .broadcast_div(count)
}

fn counts(index: &Tensor, n: usize) -> Result<Tensor> {
    let ones = Tensor::ones((index.dim(0)?, 1), DType::F32, index.device())?;
    Tensor::zeros((n, 1), DType::F32, index.device())?
        .index_add(index, &ones, 0)?
        .maximum(1f32)
}

/// Host embeddings: `[N, HIDDEN]` from services and structure, `[N, ROLE]` from structure
/// alone (flow counts and privacy of the host and of its neighbours).
fn encode(net: &Network, graph: &GraphTensors, context: &Tensor) -> Result<(Tensor, Tensor)> {
    let n = graph.hosts.dim(0)?;
    let [embed, propagate, _, _, role, ..] = &net.layers;
    let (src, dst) = (&graph.src, &graph.dst);
    let (out_count, in_count) = (counts(src, n)?, counts(dst, n)?);
    let hosts = &graph.hosts;
    let h0 = Tensor::cat(
        &[
            scatter_mean(context, src, &out_count, n)?,
            scatter_mean(context, dst, &in_count, n)?,
            hosts.clone(),
        ],
        1,
    )?;
    let h1 = embed.forward(&h0)?.relu()?;
    let neighbours_out = scatter_mean(&h1.index_select(dst, 0)?, src, &out_count, n)?;
    let neighbours_in = scatter_mean(&h1.index_select(src, 0)?, dst, &in_count, n)?;
    let h2 = propagate
        .forward(&Tensor::cat(&[&h1, &neighbours_out, &neighbours_in], 1)?)?
        .relu()?;
    let peers_out = scatter_mean(&hosts.index_select(dst, 0)?, src, &out_count, n)?;
    let peers_in = scatter_mean(&hosts.index_select(src, 0)?, dst, &in_count, n)?;
    let roles = role
        .forward(&Tensor::cat(&[hosts, &peers_out, &peers_in], 1)?)?
        .relu()?;
    Ok((h2, roles))
}

/// `layer` over `[embedding[src], embedding[dst], flow]` per flow, computed as the sum of the
/// weights' blocks: the two host blocks (and the bias, with the source's) are applied once per
/// host and gathered, only the flow's own columns are multiplied per flow
/// (`export::pair_dense` sums in the same order).
fn pair_dense(
    layer: &DenseVars,
    embedding: &Tensor,
    flows: [&Tensor; 2],
    flow: Option<&Tensor>,
) -> Result<Tensor> {
    let weight = layer.weight.as_tensor();
    let width = embedding.dim(1)?;
    let of_src = embedding
        .matmul(&weight.narrow(0, 0, width)?)?
        .broadcast_add(layer.bias.as_tensor())?
        .index_select(flows[0], 0)?;
    let of_dst = embedding
        .matmul(&weight.narrow(0, width, width)?)?
        .index_select(flows[1], 0)?;
    let sum = (of_src + of_dst)?;
    match flow {
        Some(flow) => {
            let rest = weight.dim(0)? - 2 * width;
            sum + flow.matmul(&weight.narrow(0, 2 * width, rest)?)?
        }
        None => Ok(sum),
    }
}

/// Each flow's service class as a one-hot `[F, CLASSES]` (protocol × group) from its context.
fn service_classes(context: &Tensor) -> Result<Tensor> {
    let flows = context.dim(0)?;
    let protocol = context.narrow(1, 0, PROTOCOLS)?.unsqueeze(2)?;
    let group = context.narrow(1, PROTOCOLS, GROUPS)?.unsqueeze(1)?;
    protocol.broadcast_mul(&group)?.reshape((flows, CLASSES))
}

/// `−2 ln P(observed bit)` per flag from its logit, with `sign` = 2·bit − 1:
/// P(observed) = σ(sign · logit), kept within `[P_MIN, 1 − P_MIN]`.
fn flag_deviance(sign: &Tensor, logits: &Tensor) -> Result<Tensor> {
    let observed_p = candle_nn::ops::sigmoid(&(sign * logits)?)?.clamp(P_MIN, 1.0 - P_MIN)?;
    observed_p.log()? * -2.0
}

/// The forward pass over `graph`.
pub fn forward(net: &Network, graph: &GraphTensors) -> Result<Forward> {
    let width = graph.x.dim(1)?;
    let observed = graph.x.narrow(1, 0, CONTINUOUS)?;
    let bits = graph.x.narrow(1, CONTINUOUS, FLAGS)?;
    let context = graph
        .x
        .narrow(1, OBSERVED, width - OBSERVED)?
        .contiguous()?;
    let (h2, roles) = encode(net, graph, &context)?;
    let [_, _, decode_hidden, decode_out, _, service_hidden, service] = &net.layers;
    let (src, dst) = (&graph.src, &graph.dst);
    let hidden = pair_dense(decode_hidden, &h2, [src, dst], Some(&context))?;
    let out = decode_out.forward(&hidden.relu()?)?;
    let mean = out.narrow(1, 0, CONTINUOUS)?;
    let log_spread = out.narrow(1, CONTINUOUS, CONTINUOUS)?;
    let sigma = (log_spread.exp()? + f64::from(MIN_SIGMA))?;
    let z_scores = ((observed - &mean)? / &sigma)?;
    let logits = out.narrow(1, 2 * CONTINUOUS, FLAGS)?;
    let probability = candle_nn::ops::sigmoid(&logits)?.clamp(P_MIN, 1.0 - P_MIN)?;
    // The sign of observed − expected: 2·bit − 1.
    let sign = ((&bits * 2.0)? - 1.0)?;
    let flag_deviance = flag_deviance(&sign, &logits)?;
    let hidden = pair_dense(service_hidden, &roles, [src, dst], None)?.relu()?;
    let log_p = candle_nn::ops::log_softmax(&service.forward(&hidden)?, D::Minus1)?;
    let log_service = (service_classes(&context)? * log_p)?
        .sum_keepdim(1)?
        .maximum(P_SERVICE_MIN.ln())?;
    let service_deviance = (&log_service * -2.0)?;
    let squared = Tensor::cat(&[&z_scores.sqr()?, &flag_deviance, &service_deviance], 1)?;
    let score = squared.mean(D::Minus1)?;
    let spread_penalty = (sigma.log()?.sum(D::Minus1)? * (2.0 / TARGETS as f64))?;
    let loss = (&score + spread_penalty)?;
    // A flag deviates with the sign of observed − expected, the service upwards only.
    let flag_deviation = (sign * flag_deviance.sqrt()?)?;
    let deviation = Tensor::cat(&[&z_scores, &flag_deviation, &service_deviance.sqrt()?], 1)?;
    Ok(Forward {
        score,
        loss,
        deviation,
        mean,
        probability,
        log_service,
    })
}

/// Predicted continuous targets in natural units: `exp(μ · std + mean) − 1`.
pub fn natural_units(mean: &Tensor, scaling: &Scaling) -> Result<Tensor> {
    let device = mean.device();
    let m = Tensor::from_slice(&scaling.mean, CONTINUOUS, device)?;
    let s = Tensor::from_slice(&scaling.std, CONTINUOUS, device)?;
    mean.broadcast_mul(&s)?.broadcast_add(&m)?.exp()? - 1.0
}
