// Test worker for distributed_test.cpp: trains a small embedding + MLP
// classifier on deterministic synthetic data through ProcessGroup, GradReducer
// and rank_micro_batches, exactly as the Trainer does, and writes rank 0's
// final weights. Launched by the test as 1 process, as `--nproc 2`, or with
// torchrun's variables set by the test itself (to kill one rank).
//
//   zl_dist_worker --steps N --batch B --accum A --out W.pt [--nproc K]
//                  [--save-at S --save CKPT] [--resume CKPT] [--forever]
#include <torch/torch.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include "distributed.h"

namespace {

struct ToyImpl : torch::nn::Module {
  ToyImpl() {
    emb = register_module("emb", torch::nn::Embedding(64, 16));
    fc1 = register_module("fc1", torch::nn::Linear(16, 32));
    fc2 = register_module("fc2", torch::nn::Linear(32, 4));
    unused = register_module("unused", torch::nn::Linear(4, 4));  // never gets a gradient
  }
  torch::Tensor forward(const torch::Tensor& ids) {
    return fc2(torch::relu(fc1(emb(ids).mean(1))));
  }
  torch::nn::Embedding emb{nullptr};
  torch::nn::Linear fc1{nullptr}, fc2{nullptr}, unused{nullptr};
};
TORCH_MODULE(Toy);

constexpr int64_t kRows = 200, kLen = 6;

torch::Tensor tokens(const std::vector<int64_t>& rows) {
  auto t = torch::empty({static_cast<int64_t>(rows.size()), kLen}, torch::kInt64);
  auto a = t.accessor<int64_t, 2>();
  for (size_t i = 0; i < rows.size(); ++i)
    for (int64_t j = 0; j < kLen; ++j) a[i][j] = (rows[i] * 13 + j * 7 + rows[i] * j) % 64;
  return t;
}
torch::Tensor labels(const std::vector<int64_t>& rows) {
  auto t = torch::empty({static_cast<int64_t>(rows.size())}, torch::kInt64);
  for (size_t i = 0; i < rows.size(); ++i) t[i] = (rows[i] * 7 / 3) % 4;
  return t;
}

// The single-process run's sampler batches for a step: `accum` batches of `batch` rows.
std::vector<std::vector<int64_t>> step_batches(int64_t step, int64_t batch, int64_t accum) {
  std::vector<std::vector<int64_t>> out;
  for (int64_t k = 0; k < accum; ++k) {
    std::vector<int64_t> b;
    for (int64_t j = 0; j < batch; ++j) b.push_back(((step * accum + k) * batch + j) % kRows);
    out.push_back(b);
  }
  return out;
}

int run(int argc, char** argv) {
  int64_t steps = 5, batch = 8, accum = 1, save_at = -1;
  int nproc = 1;
  std::string out, save, resume;
  bool forever = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return std::string(argv[++i]); };
    if (a == "--steps") steps = std::stoll(next());
    else if (a == "--batch") batch = std::stoll(next());
    else if (a == "--accum") accum = std::stoll(next());
    else if (a == "--out") out = next();
    else if (a == "--nproc") nproc = std::stoi(next());
    else if (a == "--save-at") save_at = std::stoll(next());
    else if (a == "--save") save = next();
    else if (a == "--resume") resume = next();
    else if (a == "--forever") forever = true;
    else throw std::runtime_error("unknown argument " + a);
  }
  if (int status = zl::dist::maybe_launch_local(nproc); status >= 0) return status;

  torch::set_num_threads(1);
  const auto env = zl::dist::env_from_environment();
  auto pg = zl::dist::ProcessGroup::create(env, torch::kCPU);
  // Different initial weights per rank: broadcast_module must make them equal.
  torch::manual_seed(1 + pg->rank());
  Toy model;
  torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(1e-2));
  int64_t start = 0;
  if (!resume.empty()) {
    torch::serialize::InputArchive ar;
    ar.load_from(resume);
    model->load(ar);
    torch::serialize::InputArchive oa;
    ar.read("optimizer", oa);
    opt.load(oa);
    torch::Tensor s;
    ar.read("step", s);
    start = s.item<int64_t>();
  }
  zl::dist::broadcast_module(*pg, *model);
  zl::dist::GradReducer reducer(pg, model->parameters(), /*bucket_bytes=*/1024);  // several buckets
  if (pg->is_main()) std::cerr << "world " << pg->world_size() << " buckets " << reducer.num_buckets() << "\n";

  for (int64_t step = start; forever || step < steps; ++step) {
    auto mine = zl::dist::rank_micro_batches(step_batches(step, batch, accum), pg->rank(), pg->world_size(), batch);
    opt.zero_grad();
    for (size_t m = 0; m < mine.size(); ++m) {
      if (m + 1 == mine.size()) reducer.prepare();
      auto loss = torch::nn::functional::cross_entropy(model->forward(tokens(mine[m])), labels(mine[m]));
      (loss / static_cast<double>(mine.size())).backward();
    }
    reducer.finish();
    opt.step();
    if (forever) {
      std::cerr << "rank " << pg->rank() << " step " << step << std::endl;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (step + 1 == save_at && pg->is_main()) {
      torch::serialize::OutputArchive ar;
      model->save(ar);
      torch::serialize::OutputArchive oa;
      opt.save(oa);
      ar.write("optimizer", oa);
      ar.write("step", torch::tensor(step + 1));
      ar.save_to(save);
    }
    if (step + 1 == save_at) pg->barrier();
  }
  if (pg->is_main() && !out.empty()) {
    std::vector<torch::Tensor> ps;
    for (auto& p : model->parameters()) ps.push_back(p.detach().clone());
    torch::save(ps, out);
  }
  pg->barrier();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "zl_dist_worker: error: " << e.what() << std::endl;
    return 1;
  }
}
