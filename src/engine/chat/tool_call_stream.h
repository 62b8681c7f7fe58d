#pragma once
// Tool calls recognised while the reply is still being generated, so a
// stream can send them the way OpenAI does: text before the markup as
// content, then per call one piece with its index, id and name, then its
// arguments in fragments as the model writes them. The markup itself never
// becomes content.
//
// A call is committed once its header (`{"name": "...", "arguments":`) has
// been read. Markup that does not look like that header is kept and parsed
// whole at the end with parse_tool_calls(), so odd replies still give the
// same result as the non-streamed answer, only later.
#include <string>
#include <string_view>
#include <vector>

#include "engine/chat/tool_calls.h"

namespace hydra::engine::chat {

struct ToolCallPiece {
  enum class Kind { kContent, kCallStart, kArguments };
  Kind kind = Kind::kContent;
  int index = 0;         // the call (kCallStart, kArguments)
  std::string text;      // content, or a fragment of the arguments' JSON text
  std::string id, name;  // kCallStart
};

class ToolCallStream {
 public:
  explicit ToolCallStream(ToolCallFormat format, IdGenerator make_id = new_tool_call_id);

  // Text that became final; returns what can be sent now.
  std::vector<ToolCallPiece> push(std::string_view text);
  // The reply ended: releases held-back text and settles unparsed markup.
  std::vector<ToolCallPiece> finish();
  // Calls started so far.
  int calls() const { return calls_; }

 private:
  enum class State { kContent, kHeader, kArguments, kTail, kPlain, kRaw };

  void run(std::vector<ToolCallPiece>& out);
  bool step_content(std::vector<ToolCallPiece>& out);
  bool step_llama_start(std::vector<ToolCallPiece>& out);
  bool step_header(std::vector<ToolCallPiece>& out);
  bool step_arguments(std::vector<ToolCallPiece>& out);
  bool step_tail();
  void emit_content(std::string_view text, std::vector<ToolCallPiece>& out);
  void emit_arguments(std::string_view text, std::vector<ToolCallPiece>& out);
  void start_raw();

  ToolCallFormat format_;
  IdGenerator make_id_;
  State state_ = State::kContent;
  std::string buf_;          // text not yet consumed
  std::string markup_;       // markup read for the call being recognised
  std::string raw_;          // markup kept for the final parse (kRaw)
  std::string pending_ws_;   // trailing content whitespace, dropped before a call
  bool emitted_ = false;     // any content sent
  bool after_call_ = false;  // no content since the last call (leading space is dropped)
  int calls_ = 0;
  // Arguments being streamed: where the JSON value stands.
  int depth_ = 0;
  bool in_string_ = false, escaped_ = false, value_started_ = false, string_value_ = false;
  size_t scanned_ = 0;  // bytes of buf_ already scanned in kArguments
};

}  // namespace hydra::engine::chat
