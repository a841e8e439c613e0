// Data parallelism on a world of one (dist::SingleProcess): the bucket
// layout, the hooks' bookkeeping and the sharded optimizer's arithmetic,
// which tests/mpi/ then runs on 2 MPI ranks.

#include <filesystem>

#include "helpers.hpp"

using tinylm::Tensor;
namespace dist = tinylm::dist;
namespace nn = tinylm::nn;
namespace optim = tinylm::optim;

namespace {

std::unique_ptr<nn::GPT<double>> tiny_gpt(uint64_t seed = 7) {
  return std::make_unique<nn::GPT<double>>(nn::GPTConfig{11, 8, 2, 2, 8, 0.0}, seed);
}

tinylm::data::Batch batch(int64_t B, uint64_t seed) {
  std::vector<int32_t> t(200);
  tinylm::Generator g(seed);
  for (auto& v : t) v = static_cast<int32_t>(g.below(11));
  const tinylm::data::TokenDataset d(t, "toy");
  return d.sample(B, 8, g);
}

std::vector<std::vector<double>> grads_of(const nn::GPT<double>& m) {
  std::vector<std::vector<double>> out;
  for (const auto& p : m.named_parameters()) out.push_back(p.tensor.grad().to_vector());
  return out;
}

std::vector<std::vector<double>> weights_of(const nn::GPT<double>& m) {
  std::vector<std::vector<double>> out;
  for (const auto& p : m.named_parameters()) out.push_back(p.tensor.to_vector());
  return out;
}

}  // namespace

TEST_CASE("buckets: the parameters in reverse order, a small first bucket, then buckets up to the cap") {
  auto model = tiny_gpt();
  dist::SingleProcess world;
  const auto params = model->named_parameters();
  // 1 KiB first bucket (128 doubles), 4 KiB others (512 doubles).
  dist::DataParallel<double> ddp(world, params, {4.0 / 1024, 1.0 / 1024, true});
  std::vector<std::string> all;
  int64_t n_params = 0;
  for (std::size_t b = 0; b < ddp.num_buckets(); ++b) {
    int64_t numel = 0;
    const auto names = ddp.bucket_names(b);
    for (const auto& name : names)
      for (const auto& p : params)
        if (p.name == name) numel += p.tensor.numel();
    const int64_t cap = b == 0 ? 128 : 512;
    CHECK_MESSAGE((numel <= cap || names.size() == 1), "bucket ", b);  // one parameter bigger than the cap: alone
    all.insert(all.end(), names.begin(), names.end());
  }
  for (const auto& p : params) n_params += p.tensor.requires_grad() ? 1 : 0;
  REQUIRE(static_cast<int64_t>(all.size()) == n_params);
  for (std::size_t i = 0; i < all.size(); ++i) CHECK(all[i] == params[params.size() - 1 - i].name);
  CHECK(ddp.num_buckets() > 3);
  // Default sizes: everything in the 1 MiB first bucket.
  CHECK(dist::DataParallel<double>(world, params).num_buckets() == 1);
}

TEST_CASE("on one rank, finish_backward leaves each gradient as backward made it (bit for bit)") {
  for (bool overlap : {true, false}) {
    INFO("overlap " << overlap);
    auto a = tiny_gpt(), b = tiny_gpt();
    dist::SingleProcess world;
    dist::DataParallel<double> ddp(world, b->named_parameters(), {4.0 / 1024, 1.0 / 1024, overlap});
    const auto x = batch(3, 1);
    a->forward(x.x, x.y).loss.backward();
    ddp.prepare_backward();
    b->forward(x.x, x.y).loss.backward();
    ddp.finish_backward();
    CHECK(grads_of(*a) == grads_of(*b));
    CHECK(ddp.stats().buckets == static_cast<int64_t>(ddp.num_buckets()));
    // Gradient accumulation: an unarmed backward adds locally, the armed one shares the sum.
    a->forward(x.x, x.y).loss.backward();
    b->forward(x.x, x.y).loss.backward();  // not armed: the hooks do nothing
    ddp.prepare_backward();
    a->forward(x.x, x.y).loss.backward();
    b->forward(x.x, x.y).loss.backward();
    ddp.finish_backward();
    CHECK(grads_of(*a) == grads_of(*b));
  }
}

TEST_CASE("a parameter no gradient reached is shared as zeros; misuse is an error") {
  auto w1 = Tensor<double>::from_vector({1.0, 2.0}).requires_grad_();
  auto w2 = Tensor<double>::from_vector({3.0}).requires_grad_();
  dist::SingleProcess world;
  dist::DataParallel<double> ddp(world, {{"w1", w1, nn::Decay::No}, {"w2", w2, nn::Decay::No}});
  ddp.prepare_backward();
  (w1 * 2.0).sum().backward();  // w2 unused
  ddp.finish_backward();
  CHECK(w1.grad().to_vector() == std::vector<double>{2, 2});
  CHECK(w2.grad().to_vector() == std::vector<double>{0});
  CHECK_THROWS_WITH_AS(ddp.finish_backward(), "DataParallel: finish_backward() without prepare_backward()",
                       tinylm::Error);
  ddp.prepare_backward();
  CHECK_THROWS_WITH_AS(ddp.prepare_backward(), "DataParallel: prepare_backward() twice without finish_backward()",
                       tinylm::Error);
}

TEST_CASE("ShardedAdamW on one rank takes AdamW's steps: exactly without clipping, to rounding with it") {
  for (double clip : {0.0, 0.05}) {
    INFO("clip " << clip);
    auto a = tiny_gpt(), b = tiny_gpt();
    optim::AdamW<double> ref(optim::decay_groups(a->named_parameters(), 1e-2, 0.1), {1e-2, 0.9, 0.95, 1e-8, 0.1});
    dist::SingleProcess world;
    dist::ShardedAdamW<double> sharded(world, optim::decay_groups(b->named_parameters(), 1e-2, 0.1),
                                       {1e-2, 0.9, 0.95, 1e-8, 0.1}, clip);
    for (int step = 0; step < 5; ++step) {
      const auto x = batch(4, 10 + step);
      ref.zero_grad();
      sharded.zero_grad();
      a->forward(x.x, x.y).loss.backward();
      b->forward(x.x, x.y).loss.backward();
      double norm = 0;
      if (clip > 0) {
        std::vector<Tensor<double>> ps;
        for (const auto& p : a->named_parameters()) ps.push_back(p.tensor);
        norm = optim::clip_grad_norm(ps, clip);
      }
      ref.step();
      sharded.step();
      if (clip > 0) CHECK(sharded.last_grad_norm() == doctest::Approx(norm).epsilon(1e-12));
    }
    const auto wa = weights_of(*a), wb = weights_of(*b);
    if (clip == 0) {
      CHECK(wa == wb);
    } else {
      for (std::size_t i = 0; i < wa.size(); ++i) th::check_close(wb[i], wa[i], 1e-10);
    }
  }
}

TEST_CASE("ShardedAdamW's state saves as AdamW's does and loads back into either") {
  const std::string dir = (std::filesystem::temp_directory_path() / "tinylm_sharded_state").string();
  std::filesystem::create_directories(dir);
  auto a = tiny_gpt(), b = tiny_gpt();
  dist::SingleProcess world;
  auto groups = [](nn::GPT<double>& m) { return optim::decay_groups(m.named_parameters(), 1e-2, 0.1); };
  optim::AdamW<double> ref(groups(*a), {1e-2, 0.9, 0.95, 1e-8, 0.1});
  dist::ShardedAdamW<double> sharded(world, groups(*b), {1e-2, 0.9, 0.95, 1e-8, 0.1});
  CHECK_THROWS_WITH_AS(sharded.state(),
                       "ShardedAdamW::state(): the moments are sharded; call gather_state() on every rank first",
                       tinylm::Error);
  for (int step = 0; step < 3; ++step) {
    const auto x = batch(4, 20 + step);
    ref.zero_grad();
    sharded.zero_grad();
    a->forward(x.x, x.y).loss.backward();
    b->forward(x.x, x.y).loss.backward();
    ref.step();
    sharded.step();
  }
  sharded.gather_state();
  tinylm::io::save_training_state(dir + "/sharded.safetensors", sharded, {3, {}, {}}, b.get());
  sharded.release_state();
  tinylm::io::save_training_state(dir + "/ref.safetensors", ref, {3, {}, {}}, a.get());
  // The same bytes: the same names, shapes and values.
  CHECK(tinylm::data::read_text_file(dir + "/sharded.safetensors") ==
        tinylm::data::read_text_file(dir + "/ref.safetensors"));
  // Loaded into a fresh sharded optimizer, the next steps are AdamW's.
  auto c = tiny_gpt(99);
  dist::ShardedAdamW<double> loaded(world, groups(*c), {1e-2, 0.9, 0.95, 1e-8, 0.1});
  loaded.gather_state();
  tinylm::io::load_training_state(dir + "/sharded.safetensors", loaded, c.get());
  CHECK_THROWS_AS(loaded.state(), tinylm::Error);  // state_loaded() took its shard and let the copy go
  CHECK(loaded.steps() == 3);
  for (int step = 0; step < 2; ++step) {
    const auto x = batch(4, 30 + step);
    ref.zero_grad();
    loaded.zero_grad();
    a->forward(x.x, x.y).loss.backward();
    c->forward(x.x, x.y).loss.backward();
    ref.step();
    loaded.step();
  }
  CHECK(weights_of(*a) == weights_of(*c));
  std::filesystem::remove_all(dir);
}

TEST_CASE("a data-parallel batch: part r of `parts` is rows [r B, (r + 1) B) of one batch of parts * B") {
  std::vector<int32_t> t(500);
  for (int i = 0; i < 500; ++i) t[i] = i;
  const tinylm::data::TokenDataset d(t, "toy");
  tinylm::Generator whole_gen(3);
  const auto whole = d.sample(6, 5, whole_gen).x.to_vector();
  for (int64_t part = 0; part < 3; ++part) {
    tinylm::Generator g(3);
    const auto mine = d.sample(2, 5, g, part, 3);
    CHECK(mine.x.to_vector() == std::vector<int32_t>(whole.begin() + part * 10, whole.begin() + part * 10 + 10));
    CHECK(g.state().s == whole_gen.state().s);  // every part leaves the generator where the whole batch does
  }
  tinylm::Generator g(3);
  CHECK_THROWS_WITH_AS(d.sample(2, 5, g, 3, 3), "TokenDataset::sample: part 3 of 3 does not exist", tinylm::Error);
}
