//! A raw flow as an Arrow record: the columns of the collector's [`FlowColumns`], one field
//! each, and the conversions both ways.

use std::sync::Arc;

use arrow_array::{
    Array, FixedSizeBinaryArray, Int64Array, RecordBatch, StringArray, UInt8Array, UInt16Array,
    UInt32Array, UInt64Array,
};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};
use netassure_netflow::FlowColumns;

/// The raw flow schema. Addresses are 16 bytes (IPv4 mapped into IPv6); times are
/// milliseconds since the Unix epoch; `exporter` is the exporter's name.
pub fn raw_schema() -> SchemaRef {
    let field = |name: &str, kind: DataType| Field::new(name, kind, false);
    Arc::new(Schema::new(vec![
        field("end_ms", DataType::Int64),
        field("start_ms", DataType::Int64),
        field("src_addr", DataType::FixedSizeBinary(16)),
        field("dst_addr", DataType::FixedSizeBinary(16)),
        field("src_port", DataType::UInt16),
        field("dst_port", DataType::UInt16),
        field("protocol", DataType::UInt8),
        field("tcp_flags", DataType::UInt8),
        field("bytes", DataType::UInt64),
        field("packets", DataType::UInt64),
        field("in_if", DataType::UInt32),
        field("out_if", DataType::UInt32),
        field("exporter", DataType::Utf8),
    ]))
}

/// `flows` as one record batch of [`raw_schema`].
pub fn to_batch(flows: &FlowColumns) -> Result<RecordBatch, ArrowError> {
    let millis = |values: &[u64]| Int64Array::from_iter_values(values.iter().map(|&v| v as i64));
    let addresses = |values: &[[u8; 16]]| {
        FixedSizeBinaryArray::try_from_iter(values.iter()).map(|array| Arc::new(array) as _)
    };
    let exporter = StringArray::from_iter_values(flows.exporter.iter().map(|&index| {
        flows
            .exporters
            .get(usize::from(index))
            .map_or("", String::as_str)
    }));
    let columns: Vec<Arc<dyn Array>> = vec![
        Arc::new(millis(&flows.end_ms)),
        Arc::new(millis(&flows.start_ms)),
        addresses(&flows.src_addr)?,
        addresses(&flows.dst_addr)?,
        Arc::new(UInt16Array::from(flows.src_port.clone())),
        Arc::new(UInt16Array::from(flows.dst_port.clone())),
        Arc::new(UInt8Array::from(flows.protocol.clone())),
        Arc::new(UInt8Array::from(flows.tcp_flags.clone())),
        Arc::new(UInt64Array::from(flows.bytes.clone())),
        Arc::new(UInt64Array::from(flows.packets.clone())),
        Arc::new(UInt32Array::from(flows.input_if.clone())),
        Arc::new(UInt32Array::from(flows.output_if.clone())),
        Arc::new(exporter),
    ];
    RecordBatch::try_new(raw_schema(), columns)
}

/// The flows of `batch` (of [`raw_schema`]) appended to `out`.
pub fn append_batch(batch: &RecordBatch, out: &mut FlowColumns) -> Result<(), ArrowError> {
    fn column<'a, T: 'static>(batch: &'a RecordBatch, name: &str) -> Result<&'a T, ArrowError> {
        batch
            .column_by_name(name)
            .and_then(|column| column.as_any().downcast_ref::<T>())
            .ok_or_else(|| ArrowError::SchemaError(format!("no column `{name}` of the raw schema")))
    }
    let end = column::<Int64Array>(batch, "end_ms")?;
    let start = column::<Int64Array>(batch, "start_ms")?;
    let src = column::<FixedSizeBinaryArray>(batch, "src_addr")?;
    let dst = column::<FixedSizeBinaryArray>(batch, "dst_addr")?;
    let src_port = column::<UInt16Array>(batch, "src_port")?;
    let dst_port = column::<UInt16Array>(batch, "dst_port")?;
    let protocol = column::<UInt8Array>(batch, "protocol")?;
    let flags = column::<UInt8Array>(batch, "tcp_flags")?;
    let bytes = column::<UInt64Array>(batch, "bytes")?;
    let packets = column::<UInt64Array>(batch, "packets")?;
    let in_if = column::<UInt32Array>(batch, "in_if")?;
    let out_if = column::<UInt32Array>(batch, "out_if")?;
    let exporter = column::<StringArray>(batch, "exporter")?;
    let address = |array: &FixedSizeBinaryArray, i: usize| -> [u8; 16] {
        array.value(i).try_into().unwrap_or([0; 16])
    };
    for i in 0..batch.num_rows() {
        let row = netassure_netflow::FlowRow {
            src_addr: address(src, i),
            dst_addr: address(dst, i),
            src_port: src_port.value(i),
            dst_port: dst_port.value(i),
            protocol: protocol.value(i),
            tcp_flags: flags.value(i),
            bytes: bytes.value(i),
            packets: packets.value(i),
            start_ms: start.value(i).max(0) as u64,
            end_ms: end.value(i).max(0) as u64,
            input_if: in_if.value(i),
            output_if: out_if.value(i),
            icmp_type_code: 0,
        };
        let index = out.exporter_index(exporter.value(i));
        out.push(&row, index);
    }
    Ok(())
}
