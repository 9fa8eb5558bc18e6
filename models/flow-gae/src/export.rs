//! The trained model as an ONNX graph: the feature transform, the scaling, the network and the
//! outputs — the functions `features.rs` and `model.rs` compute, rearranged for speed where the
//! result is the same up to rounding: one scatter per direction carries the flow context, the
//! peer's host features and the flow count together; the service's log-probability is
//! gathered from a log-softmax; flag bits are `q − 2·floor(q / 2)`.
//! Aggregation is `ScatterND` with `reduction = "add"` (run it with one intra-op thread:
//! onnxruntime issue 18048).

use crate::FlowGae;
use crate::card;
use crate::features::{CONTINUOUS, FLAGS, GROUPS, PROTOCOLS, SERVICES, TARGETS};
use crate::model::{Dense, MIN_SIGMA, P_MIN, P_SERVICE_MIN};
use crate::onnx::proto::{FLOAT, INT64, ModelProto};
use crate::onnx::{Attr, Dim, Graph};

/// Values every piece uses.
struct Ctx {
    one: String,
    two: String,
    axis1: String,
    n_shape: String,
}

fn slice(g: &mut Graph, x: &str, start: usize, end: usize) -> String {
    let starts = g.i64s("start", &[1], &[start as i64]);
    let ends = g.i64s("end", &[1], &[end as i64]);
    let axes = g.i64s("axes", &[1], &[1]);
    g.op("Slice", &[x, &starts, &ends, &axes], vec![])
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

fn to_float(g: &mut Graph, x: &str) -> String {
    g.op("Cast", &[x], vec![("to", Attr::Int(FLOAT.into()))])
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
/// bit k is `q − 2·floor(q / 2)` with `q = floor(f / 2^k)`, equal to the Rust expression for
/// whole numbers).
fn targets(g: &mut Graph, ctx: &Ctx, gae: &FlowGae, columns: &[String]) -> (String, String) {
    let [bytes, packets, duration, _, flags, _] = [0, 1, 2, 3, 4, 5].map(|i| columns[i].as_str());
    let at_least_one = g.op("Max", &[packets, &ctx.one], vec![]);
    let per_packet = g.op("Div", &[bytes, &at_least_one], vec![]);
    let raw = concat(g, &[bytes, packets, &per_packet, duration]);
    let plus = g.op("Add", &[&raw, &ctx.one], vec![]);
    let logs = g.op("Log", &[&plus], vec![]);
    let volumes = standardise(g, &logs, &gae.scaling.mean, &gae.scaling.std, "volume");
    let powers: Vec<f32> = (0..FLAGS).map(|k| (1u32 << k) as f32).collect();
    let powers = g.f32s("powers", &[1, FLAGS as i64], &powers);
    let divided = g.op("Div", &[flags, &powers], vec![]);
    let quotients = g.op("Floor", &[&divided], vec![]);
    let halved = g.op("Div", &[&quotients, &ctx.two], vec![]);
    let halved = g.op("Floor", &[&halved], vec![]);
    let doubled = g.op("Mul", &[&halved, &ctx.two], vec![]);
    let bits = g.op("Sub", &[&quotients, &doubled], vec![]);
    (volumes, bits)
}

/// The ports the graph compares a flow's port with (the groups' and the network's own) and a
/// 0/1 matrix from them to the columns: the [`SERVICES`] groups, then the own ports.
fn port_table(own_ports: &[u16]) -> (Vec<f32>, Vec<f32>) {
    let columns = SERVICES.len() + own_ports.len();
    let mut ports: Vec<u16> = SERVICES
        .iter()
        .flat_map(|(_, list)| list.iter().copied())
        .collect();
    ports.extend(
        own_ports
            .iter()
            .filter(|p| !SERVICES.iter().any(|(_, l)| l.contains(p))),
    );
    let mut map = vec![0.0f32; ports.len() * columns];
    for (row, port) in ports.iter().enumerate() {
        for (group, (_, list)) in SERVICES.iter().enumerate() {
            if list.contains(port) {
                map[row * columns + group] = 1.0;
            }
        }
        if let Some(own) = own_ports.iter().position(|p| p == port) {
            map[row * columns + SERVICES.len() + own] = 1.0;
        }
    }
    (ports.iter().map(|&p| f32::from(p)).collect(), map)
}

/// Context `[F, PROTOCOLS + GROUPS + ports]` (`FeatureSpec::featurize_flow`).
fn context(g: &mut Graph, ctx: &Ctx, columns: &[String], own_ports: &[u16]) -> String {
    let (protocol, port) = (columns[3].as_str(), columns[5].as_str());
    let protocols = g.f32s("protocols", &[1, 2], &[6.0, 17.0]);
    let is_protocol = g.op("Equal", &[protocol, &protocols], vec![]);
    let tcp_udp = to_float(g, &is_protocol);
    let keep = vec![("keepdims", Attr::Int(1))];
    let either = g.op("ReduceSum", &[&tcp_udp, &ctx.axis1], keep.clone());
    let other = g.op("Sub", &[&ctx.one, &either], vec![]);
    let (ports, map) = port_table(own_ports);
    let columns = SERVICES.len() + own_ports.len();
    let port_list = g.f32s("ports", &[1, ports.len() as i64], &ports);
    let map = g.f32s("port_map", &[ports.len() as i64, columns as i64], &map);
    let is_port = g.op("Equal", &[port, &port_list], vec![]);
    let is_port = to_float(g, &is_port);
    let hits = g.op("MatMul", &[&is_port, &map], vec![]);
    let services = slice(g, &hits, 0, SERVICES.len());
    let known = g.op("ReduceSum", &[&services, &ctx.axis1], keep);
    let unknown = g.op("Sub", &[&ctx.one, &known], vec![]);
    let limit = g.f32s("well_known", &[1], &[1024.0]);
    let is_low = g.op("Less", &[port, &limit], vec![]);
    let is_low = to_float(g, &is_low);
    let is_high = g.op("Sub", &[&ctx.one, &is_low], vec![]);
    let other_low = g.op("Mul", &[&unknown, &is_low], vec![]);
    let other_high = g.op("Mul", &[&unknown, &is_high], vec![]);
    let mut parts = vec![tcp_udp, other, services, other_low, other_high];
    if !own_ports.is_empty() {
        parts.push(slice(g, &hits, SERVICES.len(), columns));
    }
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    concat(g, &parts)
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

/// Log-probability `[F, 1]` of each flow's service class (protocol × group) under the service
/// head's logits (the class's entry of their log-softmax), at least `ln P_SERVICE_MIN`.
fn log_service(g: &mut Graph, logits: &str, context: &str) -> String {
    let log_p = g.op("LogSoftmax", &[logits], vec![("axis", Attr::Int(1))]);
    let protocol = slice(g, context, 0, PROTOCOLS);
    let group = slice(g, context, PROTOCOLS, PROTOCOLS + GROUPS);
    let protocol_base: Vec<f32> = (0..PROTOCOLS).map(|p| (p * GROUPS) as f32).collect();
    let protocol_base = g.f32s("class_base", &[PROTOCOLS as i64, 1], &protocol_base);
    let group_offset: Vec<f32> = (0..GROUPS).map(|k| k as f32).collect();
    let group_offset = g.f32s("class_offset", &[GROUPS as i64, 1], &group_offset);
    let base = g.op("MatMul", &[&protocol, &protocol_base], vec![]);
    let offset = g.op("MatMul", &[&group, &group_offset], vec![]);
    let class = g.op("Add", &[&base, &offset], vec![]);
    let class = g.op("Cast", &[&class], vec![("to", Attr::Int(INT64.into()))]);
    let picked = g.op(
        "GatherElements",
        &[&log_p, &class],
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
    let z2 = g.op("Mul", &[&z, &z], vec![]);
    let squared = concat(g, &[&z2, &deviance, &service_deviance]);
    let mean_keep = vec![("keepdims", Attr::Int(0))];
    let score = g.op("ReduceMean", &[&squared, &ctx.axis1], mean_keep);
    let root = g.op("Sqrt", &[&deviance], vec![]);
    let flag_deviation = g.op("Mul", &[&sign, &root], vec![]);
    let service_deviation = g.op("Sqrt", &[&service_deviance], vec![]);
    let deviation = concat(g, &[&z, &flag_deviation, &service_deviation]);
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
    let context = context(&mut g, &ctx, &columns, &gae.spec.ports);
    let (h2, roles) = encode(&mut g, &ctx, gae, &context, &hosts, [&src, &dst]);
    let p = &gae.params;
    // First layers as one product over the concatenation, summed in the order candle sums
    // them: the volumes' spreads can be small and unseen services' logits large, so a change
    // of summation order shows in the score.
    let h2_src = gather(&mut g, &h2, &src);
    let h2_dst = gather(&mut g, &h2, &dst);
    let z = concat(&mut g, &[&h2_src, &h2_dst, &context]);
    let hidden = dense(&mut g, &z, &p.decode_hidden, "decode_hidden");
    let hidden = g.op("Relu", &[&hidden], vec![]);
    let out = dense(&mut g, &hidden, &p.decode_out, "decode_out");
    let roles_src = gather(&mut g, &roles, &src);
    let roles_dst = gather(&mut g, &roles, &dst);
    let role_pair = concat(&mut g, &[&roles_src, &roles_dst]);
    let hidden = dense(&mut g, &role_pair, &p.service_hidden, "service_hidden");
    let hidden = g.op("Relu", &[&hidden], vec![]);
    let service_logits = dense(&mut g, &hidden, &p.service, "service");
    let log_service = log_service(&mut g, &service_logits, &context);
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
