"""Reference checkpoints and outputs for pretrained_parity_test.cpp, made by transformers itself.

  make_tiny_checkpoints.py tiny OUT      tiny random BERT / XLM-R (nothing downloaded)
  make_tiny_checkpoints.py e5 DIR OUT    the converted multilingual-e5-small in DIR (local files only)

Writes checkpoint directories with save_pretrained (bert/, bert_sharded/, xlmr/), bert_bin/ with the
pytorch_model.bin save_pretrained(safe_serialization=False) used to write (a plain dict; transformers 5
writes safetensors only), bert_bin_ordered/ with torch.save(model.state_dict()) (an OrderedDict) and OUT/refs.safetensors: per case the inputs (as float32;
small integers are exact), every hidden state, the pooler output / mean-pooled vector and logits.
"""
import json
import os
import shutil
import sys

import torch
from safetensors.torch import save_file


def perturb(model, seed):
    # transformers initialises biases to 0 and LayerNorm to (1, 0): a loader that
    # swapped or skipped those tensors would still match. Random values everywhere.
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=g)
            p.copy_(1 + 0.1 * noise if name.endswith("LayerNorm.weight") else 0.1 * noise)


def inputs(vocab, pad, lengths, T, seed, pair=False):
    g = torch.Generator().manual_seed(seed)
    ids = torch.full((len(lengths), T), pad, dtype=torch.long)
    mask = torch.zeros((len(lengths), T), dtype=torch.long)
    types = torch.zeros((len(lengths), T), dtype=torch.long)
    for r, n in enumerate(lengths):
        ids[r, :n] = torch.randint(4, vocab, (n,), generator=g)
        mask[r, :n] = 1
        if pair:
            types[r, n // 2:n] = 1
    return ids, mask, types


def record(refs, case, out, ids, mask, types=None):
    refs[case + ".input_ids"] = ids.float()
    refs[case + ".attention_mask"] = mask.float()
    if types is not None:
        refs[case + ".token_type_ids"] = types.float()
    for i, h in enumerate(out.hidden_states):
        refs[f"{case}.hidden.{i}"] = h.detach().contiguous()
    m = mask.unsqueeze(-1).float()
    refs[case + ".mean"] = ((out.hidden_states[-1] * m).sum(1) / m.sum(1)).detach().contiguous()


def tiny(out_dir):
    from transformers import BertConfig, BertForSequenceClassification, XLMRobertaConfig, XLMRobertaForSequenceClassification

    torch.manual_seed(0)
    refs = {}
    bc = BertConfig(vocab_size=150, hidden_size=48, num_hidden_layers=3, num_attention_heads=4, intermediate_size=96,
                    max_position_embeddings=40, type_vocab_size=2, num_labels=3, layer_norm_eps=1e-12,
                    attn_implementation="eager")
    bert = BertForSequenceClassification(bc)
    perturb(bert, 1)
    bert.eval()
    bert.save_pretrained(os.path.join(out_dir, "bert"))
    bert.save_pretrained(os.path.join(out_dir, "bert_sharded"), max_shard_size="40KB")
    os.makedirs(os.path.join(out_dir, "bert_bin"), exist_ok=True)
    shutil.copy(os.path.join(out_dir, "bert", "config.json"), os.path.join(out_dir, "bert_bin", "config.json"))
    # What transformers' save_pretrained(safe_serialization=False) writes: a plain dict.
    torch.save(dict(bert.state_dict()), os.path.join(out_dir, "bert_bin", "pytorch_model.bin"))
    # What torch.save(model.state_dict()) writes (an OrderedDict): refused by the loader.
    os.makedirs(os.path.join(out_dir, "bert_bin_ordered"), exist_ok=True)
    shutil.copy(os.path.join(out_dir, "bert", "config.json"), os.path.join(out_dir, "bert_bin_ordered", "config.json"))
    torch.save(bert.state_dict(), os.path.join(out_dir, "bert_bin_ordered", "pytorch_model.bin"))
    with torch.no_grad():
        for case, pair in (("bert_single", False), ("bert_pair", True)):
            ids, mask, types = inputs(150, 0, [12, 7, 2], 12, 2 if pair else 3, pair)
            o = bert(input_ids=ids, attention_mask=mask, token_type_ids=types if pair else None,
                     output_hidden_states=True)
            hs = bert.bert(input_ids=ids, attention_mask=mask, token_type_ids=types if pair else None)
            record(refs, case, o, ids, mask, types if pair else None)
            refs[case + ".pooler"] = hs.pooler_output.contiguous()
            refs[case + ".logits"] = o.logits.contiguous()
        refs["bert.classifier.weight"] = bert.classifier.weight.detach().contiguous()
        refs["bert.classifier.bias"] = bert.classifier.bias.detach().contiguous()

    xc = XLMRobertaConfig(vocab_size=120, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                          intermediate_size=64, max_position_embeddings=42, type_vocab_size=1, pad_token_id=1,
                          bos_token_id=0, eos_token_id=2, num_labels=3, layer_norm_eps=1e-5,
                          attn_implementation="eager")
    xlmr = XLMRobertaForSequenceClassification(xc)
    perturb(xlmr, 4)
    xlmr.eval()
    xlmr.save_pretrained(os.path.join(out_dir, "xlmr"))
    with torch.no_grad():
        ids, mask, _ = inputs(120, 1, [10, 4, 1], 10, 5)
        o = xlmr.roberta(input_ids=ids, attention_mask=mask, output_hidden_states=True)
        record(refs, "xlmr", o, ids, mask)
        # XLM-R's own head (dense + tanh + out_proj) is not ours: the test copies this
        # random linear head into our classifier and expects mean @ W^T + b.
        g = torch.Generator().manual_seed(6)
        w, b = torch.randn(3, 32, generator=g), torch.randn(3, generator=g)
        refs["xlmr.head_weight"], refs["xlmr.head_bias"] = w, b
        refs["xlmr.logits"] = (refs["xlmr.mean"] @ w.T + b).contiguous()
    save_file(refs, os.path.join(out_dir, "refs.safetensors"))


def e5(model_dir, out_dir):
    from tokenizers import Tokenizer
    from transformers import AutoModel

    model = AutoModel.from_pretrained(model_dir, attn_implementation="eager", local_files_only=True).eval()
    tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    texts = ["query: 我的快递怎么还没到？", "query: 退款多久能到账", "query: 你好"]
    enc = [tok.encode(t).ids[:32] for t in texts]
    T = max(len(e) for e in enc)
    pad = model.config.pad_token_id
    ids = torch.full((len(enc), T), pad, dtype=torch.long)
    mask = torch.zeros((len(enc), T), dtype=torch.long)
    for r, e in enumerate(enc):
        ids[r, :len(e)] = torch.tensor(e)
        mask[r, :len(e)] = 1
    refs = {}
    with torch.no_grad():
        o = model(input_ids=ids, attention_mask=mask, output_hidden_states=True)
        record(refs, "e5", o, ids, mask)
    save_file(refs, os.path.join(out_dir, "refs_e5.safetensors"))
    json.dump({"texts": texts}, open(os.path.join(out_dir, "e5_inputs.json"), "w"), ensure_ascii=False)


if __name__ == "__main__":
    if sys.argv[1] == "tiny":
        tiny(sys.argv[2])
    else:
        e5(sys.argv[2], sys.argv[3])
