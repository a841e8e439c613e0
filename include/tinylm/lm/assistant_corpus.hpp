#pragma once
// The built-in assistant corpus: seeded conversations whose answers a
// program can check, so that fine-tuning a model into an assistant has a
// number.
//
// Skills:
//   arithmetic   "What is 47 + 385?" -> "7 + 5 = 12, 4 + 8 + 1 = 13,
//                0 + 3 + 1 = 4, so 47 + 385 = 432." (sums and differences of
//                0-999, products of a one-digit and a two-digit number;
//                the reply works the columns, see worked_reply)
//   order        the user's message holds an order record ("Order 4417: 3
//                blue mugs, shipped on Tuesday, status: delayed.") and asks
//                about one field -> a sentence that states it
//   refusal      an out-of-domain question -> one fixed polite refusal
//   multi_turn   a second question that refers back to the first turn
//                ("Now add 10 to that.", "And what colour were they?")
//
// The held-out split never shares an arithmetic problem, an order number or
// an item with the training split: problems are split by a hash of the
// operands, order numbers by range, items by list. score() takes the answer
// out of a reply (the number after the last '=', the last word of the
// sentence, or the whole refusal) and compares it exactly.

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tinylm/core/error.hpp"
#include "tinylm/core/rng.hpp"
#include "tinylm/lm/chat.hpp"

namespace tinylm::lm {

enum class Skill { Arithmetic, Order, Refusal, MultiTurn };
inline constexpr std::array<Skill, 4> kSkills{Skill::Arithmetic, Skill::Order, Skill::Refusal, Skill::MultiTurn};

inline const char* skill_name(Skill s) {
  switch (s) {
    case Skill::Arithmetic: return "arithmetic";
    case Skill::Order: return "order";
    case Skill::Refusal: return "refusal";
    case Skill::MultiTurn: return "multi_turn";
  }
  return "?";
}

enum class Split { Train, HeldOut };

/// One conversation and the answer its last assistant turn must give.
struct AssistantExample {
  Skill skill = Skill::Arithmetic;
  Conversation conversation;  // ends with the reference assistant turn
  std::string answer;         // what score() must take out of a reply
};

inline constexpr std::string_view kRefusal = "I'm sorry, I can only help with arithmetic and your orders.";

namespace detail {

inline constexpr std::array<const char*, 7> kDays{"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                  "Friday", "Saturday", "Sunday"};
inline constexpr std::array<const char*, 5> kStatuses{"delayed", "delivered", "pending", "returned", "lost"};
inline constexpr std::array<const char*, 8> kColours{"blue",  "red",    "green", "black",
                                                     "white", "yellow", "grey",  "pink"};
// Items the training split uses (with made-up ones, made_up_item), and the ones
// only the held-out split does.
inline constexpr std::array<const char*, 80> kTrainItems{
    "mugs",      "plates",   "lamps",     "chairs",    "books",   "socks",     "pens",     "bottles",    "boxes",
    "towels",    "cups",     "hats",      "forks",     "spoons",  "knives",    "pillows",  "blankets",   "mirrors",
    "shelves",   "rugs",     "curtains",  "baskets",   "buckets", "brushes",   "combs",    "gloves",     "jackets",
    "shirts",    "boots",    "shoes",     "belts",     "wallets", "umbrellas", "pencils",  "markers",    "notebooks",
    "folders",   "stamps",   "envelopes", "batteries", "cables",  "chargers",  "speakers", "headphones", "keyboards",
    "monitors",  "tables",   "desks",     "stools",    "benches", "sofas",     "beds",     "jars",       "pots",
    "pans",      "trays",    "teapots",   "glasses",   "napkins", "aprons",    "sponges",  "soaps",      "candies",
    "cookies",   "coats",    "sweaters",  "skirts",    "dresses", "ties",      "rings",    "necklaces",  "watches",
    "bracelets", "earrings", "backpacks", "suitcases", "toys",    "dolls",     "balls",    "bikes"};
inline constexpr std::array<const char*, 20> kHeldOutItems{
    "kettles",  "scarves", "bowls", "candles", "clocks",   "vases",  "ladders", "kites",     "drums",      "globes",
    "lanterns", "puzzles", "tents", "wreaths", "hammocks", "easels", "anchors", "compasses", "telescopes", "trophies"};
inline constexpr std::array<const char*, 12> kOutOfDomain{
    "What is the capital of France?",  "Write me a poem about the sea.",  "Who will win the next election?",
    "Can you recommend a good movie?", "What is the meaning of life?",    "Tell me a joke about cats.",
    "How do I fix my car's engine?",   "What is the weather like today?", "Translate hello into Spanish.",
    "Who painted the Mona Lisa?",      "What should I cook for dinner?",  "Explain quantum physics to me."};

/// Whether an arithmetic problem belongs to the held-out split.
inline bool held_out_problem(char op, int a, int b) {
  uint64_t h = (static_cast<uint64_t>(a) * 1000003u + static_cast<uint64_t>(b)) * 31u + static_cast<uint64_t>(op);
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 32;
  return h % 10 == 0;
}

inline int uniform(Generator& gen, int lo, int hi) {  // in [lo, hi]
  return lo + static_cast<int>(gen.next_u64() % static_cast<uint64_t>(hi - lo + 1));
}

/// The reply to "What is a op b?": the written method column by column,
/// units first, then the result (op '-' needs a >= b; op '*' a one-digit a):
///
///   47 + 385   "7 + 5 = 12, 4 + 8 + 1 = 13, 0 + 3 + 1 = 4, so 47 + 385 = 432."
///   952 - 385  "12 - 5 = 7, 15 - 8 - 1 = 6, 9 - 3 - 1 = 5, so 952 - 385 = 567."
///   6 * 38     "6 * 8 = 48, 6 * 3 + 4 = 22, so 6 * 38 = 228."
///
/// Each step is one digit fact and the carry (or borrow) of the step
/// before, so a small model learns the method instead of a million sums.
inline std::string worked_reply(char op, int a, int b) {
  const std::string sa = std::to_string(a), sb = std::to_string(b);
  const int result = op == '+' ? a + b : op == '-' ? a - b : a * b;
  std::string work;
  auto step = [&](const std::string& s) { work += (work.empty() ? "" : ", ") + s; };
  auto digit = [](int v, int k) {
    for (int i = 0; i < k; ++i) v /= 10;
    return v % 10;
  };
  if (op == '*') {
    int carry = 0;
    for (int k = 0; k < static_cast<int>(sb.size()); ++k) {
      const int v = a * digit(b, k) + carry;
      step(std::to_string(a) + " * " + std::to_string(digit(b, k)) + (carry ? " + " + std::to_string(carry) : "") +
           " = " + std::to_string(v));
      carry = v / 10;
    }
  } else {
    const int columns = static_cast<int>(std::max(sa.size(), sb.size()));
    int carry = 0;  // or borrow
    for (int k = 0; k < columns; ++k) {
      const int x = digit(a, k), y = digit(b, k);
      std::string s;
      if (op == '+') {
        const int v = x + y + carry;
        s = std::to_string(x) + " + " + std::to_string(y) + (carry ? " + 1" : "") + " = " + std::to_string(v);
        carry = v / 10;
      } else {
        const bool borrow = x - carry < y;
        s = std::to_string(borrow ? x + 10 : x) + " - " + std::to_string(y) + (carry ? " - 1" : "") + " = " +
            std::to_string((borrow ? x + 10 : x) - y - carry);
        carry = borrow;
      }
      step(s);
    }
  }
  return work + ", so " + sa + " " + op + " " + sb + " = " + std::to_string(result) + ".";
}

struct Problem {
  std::string question, reply;
  int result = 0;
};

inline Problem arithmetic_problem(Generator& gen, Split split) {
  for (;;) {
    const int kind = uniform(gen, 0, 2);
    int a, b, r;
    char op;
    if (kind == 0) op = '+', a = uniform(gen, 0, 999), b = uniform(gen, 0, 999), r = a + b;
    else if (kind == 1) {
      op = '-', a = uniform(gen, 0, 999), b = uniform(gen, 0, 999);
      if (a < b) std::swap(a, b);
      r = a - b;
    } else {
      op = '*', a = uniform(gen, 2, 9), b = uniform(gen, 10, 99), r = a * b;
    }
    if (held_out_problem(op, a, b) != (split == Split::HeldOut)) continue;
    return {"What is " + std::to_string(a) + " " + op + " " + std::to_string(b) + "?", worked_reply(op, a, b), r};
  }
}

struct Order {
  int number = 0, quantity = 0;
  std::string colour, item, day, status;
  std::string record() const {
    return "Order " + std::to_string(number) + ": " + std::to_string(quantity) + " " + colour + " " + item +
           ", shipped on " + day + ", status: " + status + ".";
  }
};

/// A made-up product name, 4 to 12 letters ending in 's' ("qevttrqls"):
/// two training orders in three have one, so that a model learns to copy the
/// item from the record, letter by letter; with a few dozen real ones
/// only, it learns to recall one of those instead. The letters repeat the
/// way a word's do: one in five is the letter before it (as in "kettles"),
/// one in five an earlier one (as in "telescopes"), so that a copy that
/// looks back one letter only cannot tell where it is; uniform random
/// letters almost never repeat. Never one of the held-out items.
inline std::string made_up_item(Generator& gen) {
  for (;;) {
    std::string w(static_cast<std::size_t>(uniform(gen, 3, 11)), 'a');
    for (std::size_t i = 0; i < w.size(); ++i) {
      const int kind = i > 0 ? uniform(gen, 0, 4) : 4;
      if (kind == 0) w[i] = w[i - 1];
      else if (kind == 1) w[i] = w[static_cast<std::size_t>(uniform(gen, 0, static_cast<int>(i) - 1))];
      else w[i] = static_cast<char>('a' + uniform(gen, 0, 25));
    }
    w += 's';
    if (std::find(kHeldOutItems.begin(), kHeldOutItems.end(), w) == kHeldOutItems.end()) return w;
  }
}

inline Order random_order(Generator& gen, Split split) {
  Order o;
  o.number = split == Split::Train ? uniform(gen, 1000, 7999) : uniform(gen, 8000, 9999);
  o.quantity = uniform(gen, 1, 9);
  o.colour = kColours[static_cast<std::size_t>(uniform(gen, 0, int(kColours.size()) - 1))];
  if (split == Split::HeldOut)
    o.item = kHeldOutItems[static_cast<std::size_t>(uniform(gen, 0, int(kHeldOutItems.size()) - 1))];
  else if (gen.next_u64() % 3 == 0)
    o.item = kTrainItems[static_cast<std::size_t>(uniform(gen, 0, int(kTrainItems.size()) - 1))];
  else o.item = made_up_item(gen);
  o.day = kDays[static_cast<std::size_t>(uniform(gen, 0, int(kDays.size()) - 1))];
  o.status = kStatuses[static_cast<std::size_t>(uniform(gen, 0, int(kStatuses.size()) - 1))];
  return o;
}

/// A question about one of the order's fields, its reply, and the answer.
inline std::array<std::string, 3> order_question(const Order& o, int field) {
  const std::string n = std::to_string(o.number);
  switch (field) {
    case 0: return {"What is my order number?", "Your order number is " + n + ".", n};
    case 1:  // the whole span, quantity first: copying it from the record is one contiguous run
      return {"What did I order?", "You ordered " + std::to_string(o.quantity) + " " + o.colour + " " + o.item + ".",
              o.item};
    case 2:
      return {"How many did I order?", "You ordered " + std::to_string(o.quantity) + ".", std::to_string(o.quantity)};
    case 3: return {"What colour are they?", "They are " + o.colour + ".", o.colour};
    case 4: return {"When was it shipped?", "It was shipped on " + o.day + ".", o.day};
    default: return {"What is the status of my order?", "The status of order " + n + " is " + o.status + ".", o.status};
  }
}

}  // namespace detail

/// One conversation of `skill` from the split.
inline AssistantExample assistant_example(Skill skill, Split split, Generator& gen) {
  AssistantExample ex;
  ex.skill = skill;
  auto& c = ex.conversation;
  switch (skill) {
    case Skill::Arithmetic: {
      const auto p = detail::arithmetic_problem(gen, split);
      c = {{Role::User, p.question}, {Role::Assistant, p.reply}};
      ex.answer = std::to_string(p.result);
      break;
    }
    case Skill::Order: {
      const auto o = detail::random_order(gen, split);
      const auto q = detail::order_question(o, detail::uniform(gen, 0, 5));
      c = {{Role::User, o.record() + " " + q[0]}, {Role::Assistant, q[1]}};
      ex.answer = q[2];
      break;
    }
    case Skill::Refusal: {
      c = {{Role::User, detail::kOutOfDomain[static_cast<std::size_t>(
                            detail::uniform(gen, 0, int(detail::kOutOfDomain.size()) - 1))]},
           {Role::Assistant, std::string(kRefusal)}};
      ex.answer = std::string(kRefusal);
      break;
    }
    case Skill::MultiTurn: {
      if (gen.next_u64() % 2) {  // arithmetic, then add to the result
        const auto p = detail::arithmetic_problem(gen, split);
        const int k = detail::uniform(gen, 1, 99);
        c = {{Role::User, p.question},
             {Role::Assistant, p.reply},
             {Role::User, "Now add " + std::to_string(k) + " to that."},
             {Role::Assistant, detail::worked_reply('+', p.result, k)}};
        ex.answer = std::to_string(p.result + k);
      } else {  // an order, one field, then another field of the same order
        const auto o = detail::random_order(gen, split);
        const int f1 = detail::uniform(gen, 0, 5);
        const int f2 = (f1 + detail::uniform(gen, 1, 5)) % 6;
        const auto q1 = detail::order_question(o, f1), q2 = detail::order_question(o, f2);
        c = {{Role::User, o.record() + " " + q1[0]},
             {Role::Assistant, q1[1]},
             {Role::User, "And " + std::string(1, static_cast<char>(std::tolower(q2[0][0]))) + q2[0].substr(1)},
             {Role::Assistant, q2[1]}};
        ex.answer = q2[2];
      }
      break;
    }
  }
  return ex;
}

/// `n` conversations of the split, the skills in turn, from `seed`.
inline std::vector<AssistantExample> assistant_corpus(int64_t n, Split split, uint64_t seed) {
  TINYLM_CHECK(n >= 0, "assistant_corpus: n must be >= 0, got ", n);
  Generator gen(seed * 0x9E3779B97F4A7C15ull + (split == Split::Train ? 1 : 2));
  std::vector<AssistantExample> out;
  out.reserve(static_cast<std::size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    out.push_back(assistant_example(kSkills[static_cast<std::size_t>(i % 4)], split, gen));
  return out;
}

/// The answer a reply gives for a skill: the whole reply for a refusal,
/// the number after the last '=' for arithmetic, else the sentence's last
/// word (the field); trailing '.' and spaces left out. "" when there is none.
inline std::string extract_answer(Skill skill, std::string_view reply) {
  while (!reply.empty() && (reply.back() == ' ' || reply.back() == '\n')) reply.remove_suffix(1);
  if (skill == Skill::Refusal) return std::string(reply);
  if (!reply.empty() && reply.back() == '.') reply.remove_suffix(1);
  const std::size_t eq = reply.rfind('=');
  if (eq != std::string_view::npos) {
    std::string_view r = reply.substr(eq + 1);
    while (!r.empty() && r.front() == ' ') r.remove_prefix(1);
    return std::string(r);
  }
  const std::size_t sp = reply.rfind(' ');
  return std::string(sp == std::string_view::npos ? reply : reply.substr(sp + 1));
}

/// Whether `reply` gives the example's answer exactly.
inline bool score(const AssistantExample& ex, std::string_view reply) {
  return extract_answer(ex.skill, reply) == ex.answer;
}

}  // namespace tinylm::lm
