//! The trained model as an ONNX graph: the feature transform, the scaling, the network and the
//! outputs — the functions `features.rs` and `model.rs` compute, rearranged for speed where the
//! result is the same up to rounding: a flow's context, service class and flag bits are
//! gathered from tables ([`ContextTables`]) instead of compared column by column; one scatter
//! per direction carries the flow context, the peer's host features and the flow count
//! together; the layers over two hosts apply their weights once per host
//! ([`pair_dense`]); the service's log-probability is gathered from a log-softmax; the score
//! is the mean square of the deviations.
//! Aggregation is `ScatterND` with `reduction = "add"` (run it with one intra-op thread:
//! onnxruntime issue 18048).

use crate::FlowGae;
use crate::card;
use crate::features::{CONTINUOUS, FLAGS, FeatureSpec, TARGETS};
use crate::lookup::{ContextTables, PORTS, PROTOCOL_NUMBERS};
use crate::model::{Dense, HIDDEN, MIN_SIGMA, P_MIN, P_SERVICE_MIN, ROLE};
use crate::onnx::proto::{FLOAT, INT64, ModelProto};
use crate::onnx::{Attr, Dim, Graph};

/// Values every piece uses.
struct Ctx {
    one: String,
    two: String,
    axis1: String,
    n_shape: String,
}

/// `x` split along axis 1 into pieces of `sizes` columns.
fn split(g: &mut Graph, x: &str, sizes: &[usize]) -> Vec<String> {
    let list: Vec<i64> = sizes.iter().map(|&s| s as i64).collect();
    let sizes_name = g.i64s("split", &[list.len() as i64], &list);
    g.op_n(
        "Split",
        &[x, &sizes_name],
        vec![("axis", Attr::Int(1))],
        list.len(),
    )
}

fn concat(g: &mut Graph, parts: &[&str]) -> String {
    g.op("Concat", parts, vec![("axis", Attr::Int(1))])
}

fn gather(g: &mut Graph, x: &str, index: &str) -> String {
    g.op("Gather", &[x, index], vec![("axis", Attr::Int(0))])
}

fn standardise(g: &mut Graph, x: &str, mean: &[f32], std: &[f32], name: &str) -> String {
    let m = g.f32s(&format!("{name}_mean"), &[mean.len() as i64], mean);
    let s = g.f32s(&format!("{name}_std"), &[std.len() as i64], std);
    let centred = g.op("Sub", &[x, &m], vec![]);
    g.op("Div", &[&centred, &s], vec![])
}

fn dense(g: &mut Graph, x: &str, d: &Dense, name: &str) -> String {
    let shape = [d.inputs as i64, d.outputs as i64];
    let w = g.f32s(&format!("{name}_weight"), &shape, &d.weight);
    let product = g.op("MatMul", &[x, &w], vec![]);
    let b = g.f32s(&format!("{name}_bias"), &[d.outputs as i64], &d.bias);
    g.op("Add", &[&product, &b], vec![])
}

/// Standardised log volumes `[F, 4]` and flag bits `[F, 5]` (`FeatureSpec::featurize_flow`;
/// the bits of a whole number of flags are gathered from a table of the [`FLAGS`] low bits of
/// every number below `2^FLAGS`).
fn targets(g: &mut Graph, ctx: &Ctx, gae: &FlowGae, columns: &[String]) -> (String, String) {
    let [bytes, packets, duration, _, flags, _] = [0, 1, 2, 3, 4, 5].map(|i| columns[i].as_str());
    let at_least_one = g.op("Max", &[packets, &ctx.one], vec![]);
    let per_packet = g.op("Div", &[bytes, &at_least_one], vec![]);
    let raw = concat(g, &[bytes, packets, &per_packet, duration]);
    let plus = g.op("Add", &[&raw, &ctx.one], vec![]);
    let logs = g.op("Log", &[&plus], vec![]);
    let volumes = standardise(g, &logs, &gae.scaling.mean, &gae.scaling.std, "volume");
    // Above 2^30 every f32 is a multiple of 2^7: its low bits are 0, as they are for 2^30.
    let flags = index(g, flags, (1u32 << 30) as f32);
    let modulus = g.i64s("flag_modulus", &[1], &[1 << FLAGS]);
    let low = g.op("Mod", &[&flags, &modulus], vec![]);
    let low = g.op("Squeeze", &[&low, &ctx.axis1], vec![]);
    let table: Vec<f32> = (0..1u32 << FLAGS)
        .flat_map(|f| (0..FLAGS).map(move |k| ((f >> k) & 1) as f32))
        .collect();
    let table = g.f32s("flag_bits", &[1 << FLAGS, FLAGS as i64], &table);
    (volumes, gather(g, &table, &low))
}

/// A column of whole numbers clamped to `0..=max` as int64 indexes `[F, 1]`.
fn index(g: &mut Graph, column: &str, max: f32) -> String {
    let low = g.f32s("index_min", &[], &[0.0]);
    let high = g.f32s("index_max", &[], &[max]);
    let clipped = g.op("Clip", &[column, &low, &high], vec![]);
    g.op("Cast", &[&clipped], vec![("to", Attr::Int(INT64.into()))])
}

/// Context `[F, PROTOCOLS + GROUPS + ports]` (`FeatureSpec::featurize_flow`) and service class
/// `[F, 1]` (protocol × group) of each flow, gathered from [`ContextTables`].
fn context(g: &mut Graph, ctx: &Ctx, columns: &[String], spec: &FeatureSpec) -> (String, String) {
    let tables = ContextTables::new(spec);
    let protocol = index(g, &columns[3], (PROTOCOL_NUMBERS - 1) as f32);
    let port = index(g, &columns[5], (PORTS - 1) as f32);
    let protocol_base = g.i64s(
        "protocol_base",
        &[PROTOCOL_NUMBERS as i64],
        &tables.protocol_base,
    );
    let base = gather(g, &protocol_base, &protocol);
    let flat = g.op("Add", &[&base, &port], vec![]);
    let flat = g.op("Squeeze", &[&flat, &ctx.axis1], vec![]);
    let row_of = g.u8s("row_of", &[tables.row_of.len() as i64], &tables.row_of);
    let row = gather(g, &row_of, &flat);
    let row = g.op("Cast", &[&row], vec![("to", Attr::Int(INT64.into()))]);
    let (count, width) = (tables.row_count() as i64, spec.context() as i64);
    let rows = g.f32s("context_rows", &[count, width], &tables.rows);
    let class = g.i64s("service_class", &[count, 1], &tables.class);
    (gather(g, &rows, &row), gather(g, &class, &row))
}

/// Sum of `values` (`[F, width]`) per host by `index` (`[F, 1]`): `[N, width]`.
fn scatter_add(g: &mut Graph, ctx: &Ctx, values: &str, width: usize, index: &str) -> String {
    let width = g.i64s("width", &[1], &[width as i64]);
    let shape = g.op(
        "Concat",
        &[&ctx.n_shape, &width],
        vec![("axis", Attr::Int(0))],
    );
    let zeros = g.op(
        "ConstantOfShape",
        &[&shape],
        vec![("value", Attr::FloatTensor(0.0))],
    );
    let add = vec![("reduction", Attr::Str("add"))];
    g.op("ScatterND", &[&zeros, index, values], add)
}

/// Per host along one direction: the mean context of its flows, the mean host features of its
/// peers, and its flow count (at least 1) — one scatter of `[context, peer, 1]`.
fn gather_side(
    g: &mut Graph,
    ctx: &Ctx,
    parts: [&str; 3],
    width: usize,
    index: &str,
) -> [String; 3] {
    let values = concat(g, &parts);
    let sum = scatter_add(g, ctx, &values, width + 4, index);
    let [sums, count] = <[String; 2]>::try_from(split(g, &sum, &[width + 3, 1])).expect("two");
    let count = g.op("Max", &[&count, &ctx.one], vec![]);
    let mean = g.op("Div", &[&sums, &count], vec![]);
    let [context, peers] = <[String; 2]>::try_from(split(g, &mean, &[width, 3])).expect("two");
    [context, peers, count]
}

/// Host embeddings from services and structure `[N, HIDDEN]` and from structure alone
/// `[N, ROLE]` (`model::encode`).
fn encode(
    g: &mut Graph,
    ctx: &Ctx,
    gae: &FlowGae,
    context: &str,
    hosts: &str,
    flows: [&str; 2],
) -> (String, String) {
    let (scaling, params) = (&gae.scaling, &gae.params);
    let [src, dst] = flows;
    let [counts_of, private] = <[String; 2]>::try_from(split(g, hosts, &[2, 1])).expect("two");
    let plus = g.op("Add", &[&counts_of, &ctx.one], vec![]);
    let log_counts = g.op("Log", &[&plus], vec![]);
    let scaled = standardise(
        g,
        &log_counts,
        &scaling.host_mean,
        &scaling.host_std,
        "host",
    );
    let host_features = concat(g, &[&scaled, &private]);
    let src_index = g.op("Unsqueeze", &[src, &ctx.axis1], vec![]);
    let dst_index = g.op("Unsqueeze", &[dst, &ctx.axis1], vec![]);
    let one_row = g.f32s("one_row", &[1, 1], &[1.0]);
    let index_shape = g.op("Shape", &[&src_index], vec![]);
    let ones = g.op("Expand", &[&one_row, &index_shape], vec![]);
    let width = gae.spec.context();
    let peer_of_src = gather(g, &host_features, dst);
    let peer_of_dst = gather(g, &host_features, src);
    let [context_out, peers_out, out_count] =
        gather_side(g, ctx, [context, &peer_of_src, &ones], width, &src_index);
    let [context_in, peers_in, in_count] =
        gather_side(g, ctx, [context, &peer_of_dst, &ones], width, &dst_index);
    let h0 = concat(g, &[&context_out, &context_in, &host_features]);
    let h1 = dense(g, &h0, &params.embed, "embed");
    let h1 = g.op("Relu", &[&h1], vec![]);
    let embed = params.embed.outputs;
    let h1_dst = gather(g, &h1, dst);
    let h1_src = gather(g, &h1, src);
    let sum_out = scatter_add(g, ctx, &h1_dst, embed, &src_index);
    let neighbours_out = g.op("Div", &[&sum_out, &out_count], vec![]);
    let sum_in = scatter_add(g, ctx, &h1_src, embed, &dst_index);
    let neighbours_in = g.op("Div", &[&sum_in, &in_count], vec![]);
    let joined = concat(g, &[&h1, &neighbours_out, &neighbours_in]);
    let h2 = dense(g, &joined, &params.propagate, "propagate");
    let h2 = g.op("Relu", &[&h2], vec![]);
    let joined = concat(g, &[&host_features, &peers_out, &peers_in]);
    let roles = dense(g, &joined, &params.role, "role");
    let roles = g.op("Relu", &[&roles], vec![]);
    (h2, roles)
}

/// A dense layer over `[embedding[src], embedding[dst], flow]` per flow (`model::pair_dense`):
/// the weights' blocks for the two hosts (and the bias, with the source's) are applied once
/// per host and gathered, only the flow's own columns are multiplied per flow, summed in the
/// order candle sums them.
fn pair_dense(
    g: &mut Graph,
    embedding: (&str, usize),
    flows: [&str; 2],
    flow: Option<&str>,
    d: &Dense,
    name: &str,
) -> String {
    let (embedding, host_width) = embedding;
    let block = |g: &mut Graph, first: usize, rows: usize, part: &str| {
        let weight = &d.weight[first * d.outputs..(first + rows) * d.outputs];
        let shape = [rows as i64, d.outputs as i64];
        g.f32s(&format!("{name}_weight_{part}"), &shape, weight)
    };
    let w_src = block(g, 0, host_width, "src");
    let w_dst = block(g, host_width, host_width, "dst");
    let b = g.f32s(&format!("{name}_bias"), &[d.outputs as i64], &d.bias);
    let per_src = g.op("MatMul", &[embedding, &w_src], vec![]);
    let per_src = g.op("Add", &[&per_src, &b], vec![]);
    let per_dst = g.op("MatMul", &[embedding, &w_dst], vec![]);
    let of_src = gather(g, &per_src, flows[0]);
    let of_dst = gather(g, &per_dst, flows[1]);
    let sum = g.op("Add", &[&of_src, &of_dst], vec![]);
    match flow {
        Some(flow) => {
            let w_flow = block(g, 2 * host_width, d.inputs - 2 * host_width, "flow");
            let product = g.op("MatMul", &[flow, &w_flow], vec![]);
            g.op("Add", &[&sum, &product], vec![])
        }
        None => sum,
    }
}

/// Log-probability `[F, 1]` of each flow's service `class` (`[F, 1]`) under the service
/// head's logits (the class's entry of their log-softmax; ONNX Runtime's `ReduceLogSumExp`,
/// which would spare the other 35 entries, took a quarter of the whole graph's time when
/// profiled by hand), at least `ln P_SERVICE_MIN`.
fn log_service(g: &mut Graph, logits: &str, class: &str) -> String {
    let log_p = g.op("LogSoftmax", &[logits], vec![("axis", Attr::Int(1))]);
    let picked = g.op(
        "GatherElements",
        &[&log_p, class],
        vec![("axis", Attr::Int(1))],
    );
    let floor = g.f32s("log_p_min", &[1], &[P_SERVICE_MIN.ln()]);
    g.op("Max", &[&picked, &floor], vec![])
}

/// `1 / (1 + exp(−x))`, as candle computes it: ONNX Runtime's `Sigmoid` approximates, and its
/// relative error for small probabilities (ln of them is the flags' deviance) reached 2·10⁻⁵.
fn sigmoid(g: &mut Graph, ctx: &Ctx, x: &str) -> String {
    let negated = g.op("Neg", &[x], vec![]);
    let exp = g.op("Exp", &[&negated], vec![]);
    let denominator = g.op("Add", &[&exp, &ctx.one], vec![]);
    g.op("Reciprocal", &[&denominator], vec![])
}

/// The outputs from the decoder's `out` (`[F, OUTPUTS]`) and the service's log-probability
/// against the observed targets: `(score, deviation, expected)` (`model::forward`,
/// `model::natural_units`).
fn outputs(g: &mut Graph, ctx: &Ctx, gae: &FlowGae, out: &str, observed: [&str; 3]) -> [String; 3] {
    let [volumes, bits, log_service] = observed;
    let pieces = split(g, out, &[CONTINUOUS, CONTINUOUS, FLAGS]);
    let [mean, log_spread, logits] = <[String; 3]>::try_from(pieces).expect("three");
    let spread = g.op("Exp", &[&log_spread], vec![]);
    let min_sigma = g.f32s("min_sigma", &[1], &[MIN_SIGMA]);
    let sigma = g.op("Add", &[&spread, &min_sigma], vec![]);
    let residual = g.op("Sub", &[volumes, &mean], vec![]);
    let z = g.op("Div", &[&residual, &sigma], vec![]);
    // Flags: P(observed bit) = σ(sign · logit), sign = 2·bit − 1.
    let two_bits = g.op("Mul", &[bits, &ctx.two], vec![]);
    let sign = g.op("Sub", &[&two_bits, &ctx.one], vec![]);
    let signed = g.op("Mul", &[&sign, &logits], vec![]);
    let observed_p = sigmoid(g, ctx, &signed);
    let low = g.f32s("p_min", &[], &[P_MIN]);
    let high = g.f32s("p_max", &[], &[1.0 - P_MIN]);
    let observed_p = g.op("Clip", &[&observed_p, &low, &high], vec![]);
    let log_p = g.op("Log", &[&observed_p], vec![]);
    let minus_two = g.f32s("minus_two", &[1], &[-2.0]);
    let deviance = g.op("Mul", &[&log_p, &minus_two], vec![]);
    let service_deviance = g.op("Mul", &[log_service, &minus_two], vec![]);
    let root = g.op("Sqrt", &[&deviance], vec![]);
    let flag_deviation = g.op("Mul", &[&sign, &root], vec![]);
    let service_deviation = g.op("Sqrt", &[&service_deviance], vec![]);
    let deviation = concat(g, &[&z, &flag_deviation, &service_deviation]);
    // The mean of the squared deviations: z², each flag's deviance, the service's deviance.
    let keep = vec![("keepdims", Attr::Int(0))];
    let sum = g.op("ReduceSumSquare", &[&deviation, &ctx.axis1], keep);
    let targets = g.f32s("targets", &[], &[TARGETS as f32]);
    let score = g.op("Div", &[&sum, &targets], vec![]);
    let p = sigmoid(g, ctx, &logits);
    let p = g.op("Clip", &[&p, &low, &high], vec![]);
    let scaling = &gae.scaling;
    let std = g.f32s("volume_std", &[CONTINUOUS as i64], &scaling.std);
    let centre = g.f32s("volume_mean", &[CONTINUOUS as i64], &scaling.mean);
    let unscaled = g.op("Mul", &[&mean, &std], vec![]);
    let logs = g.op("Add", &[&unscaled, &centre], vec![]);
    let exp = g.op("Exp", &[&logs], vec![]);
    let natural = g.op("Sub", &[&exp, &ctx.one], vec![]);
    let service_p = g.op("Exp", &[log_service], vec![]);
    let expected = concat(g, &[&natural, &p, &service_p]);
    [score, deviation, expected]
}

/// The model as an ONNX file (opset 18) with `threshold`.
pub fn model(gae: &FlowGae, threshold: f32) -> ModelProto {
    let mut g = Graph::default();
    let flows_dim = Dim::Named("flows");
    let flows = g.input("flows", FLOAT, &[flows_dim.clone(), Dim::Fixed(6)], "");
    let src = g.input("src", INT64, std::slice::from_ref(&flows_dim), "");
    let dst = g.input("dst", INT64, std::slice::from_ref(&flows_dim), "");
    let hosts = g.input("hosts", FLOAT, &[Dim::Named("hosts"), Dim::Fixed(3)], "");
    let one = g.f32s("one", &[1], &[1.0]);
    let two = g.f32s("two", &[1], &[2.0]);
    let axis1 = g.i64s("axis1", &[1], &[1]);
    let shape_attrs = vec![("start", Attr::Int(0)), ("end", Attr::Int(1))];
    let n_shape = g.op("Shape", &[&hosts], shape_attrs);
    let ctx = Ctx {
        one,
        two,
        axis1,
        n_shape,
    };

    let columns = split(&mut g, &flows, &[1; 6]);
    let (volumes, bits) = targets(&mut g, &ctx, gae, &columns);
    let (context, class) = context(&mut g, &ctx, &columns, &gae.spec);
    let (h2, roles) = encode(&mut g, &ctx, gae, &context, &hosts, [&src, &dst]);
    let p = &gae.params;
    let flows = [src.as_str(), dst.as_str()];
    let hidden = pair_dense(
        &mut g,
        (&h2, HIDDEN),
        flows,
        Some(&context),
        &p.decode_hidden,
        "decode_hidden",
    );
    let hidden = g.op("Relu", &[&hidden], vec![]);
    let out = dense(&mut g, &hidden, &p.decode_out, "decode_out");
    let hidden = pair_dense(
        &mut g,
        (&roles, ROLE),
        flows,
        None,
        &p.service_hidden,
        "service_hidden",
    );
    let hidden = g.op("Relu", &[&hidden], vec![]);
    let service_logits = dense(&mut g, &hidden, &p.service, "service");
    let log_service = log_service(&mut g, &service_logits, &class);
    let observed = [volumes.as_str(), bits.as_str(), log_service.as_str()];
    let [score, deviation, expected] = outputs(&mut g, &ctx, gae, &out, observed);
    let threshold = g.f32s("threshold", &[1], &[threshold]);

    let docs = card::outputs();
    let t = Dim::Fixed(TARGETS as i64);
    g.output(
        &score,
        "score",
        FLOAT,
        std::slice::from_ref(&flows_dim),
        &docs[0].description,
    );
    g.output(
        &threshold,
        "threshold",
        FLOAT,
        &[Dim::Fixed(1)],
        &docs[1].description,
    );
    let per_target = [flows_dim, t];
    g.output(
        &expected,
        "expected",
        FLOAT,
        &per_target,
        &docs[2].description,
    );
    g.output(
        &deviation,
        "deviation",
        FLOAT,
        &per_target,
        &docs[3].description,
    );
    g.into_model(
        "flow-gae",
        "flow-gae: graph autoencoder over a flow window (models/flow-gae.md)",
        &[("version", card::VERSION.to_owned())],
    )
}
