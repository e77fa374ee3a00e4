// A QuickFIX/C++ counterparty for the interop specs (test/interop/quickfix.spec.ts): one session,
// acceptor or initiator as its settings file says (FileStore, FileLog, dictionary validation).
// It answers each NewOrderSingle with two ExecutionReports (new, then filled), takes
// ExecutionReports and BusinessMessageRejects, refuses other application messages (Unsupported
// Message Type, a BusinessMessageReject) and orders other than market or limit (a session Reject
// for OrdType), and prints one JSON
// line per event on stdout:
//   {"ev":"in"|"out","raw":"8=FIX.4.4|9=..."}   every message on the wire (QuickFIX's log)
//   {"ev":"event","text":"..."}                 QuickFIX's session events (rejects, resends, ...)
//   {"ev":"create"|"logon"|"logout"}            Application callbacks
//   {"ev":"app","raw":"..."}                    an application message that passed validation
//   {"ev":"ready"} once started, {"ev":"status",...} on request, {"ev":"error","text":...}
// Commands on stdin, one per line:
//   order <ClOrdID> [OrdType]   send a NewOrderSingle (Symbol IBM, Side 1, 100 @ 99.5)
//   exec <ClOrdID>              send an unsolicited ExecutionReport (fill)
//   send <MsgType> <tag=value|tag=value...>   send any message as given (no validation on send)
//   testrequest <TestReqID>     send a TestRequest
//   seq <nextSender|-> <nextTarget|->         set the next sequence numbers
//   logout [text]  |  status  |  quit
// Build: g++ -std=c++11 counterparty.cpp $(pkg-config --cflags --libs quickfix) -pthread
#include <quickfix/Application.h>
#include <quickfix/FileLog.h>
#include <quickfix/FileStore.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketAcceptor.h>
#include <quickfix/SocketInitiator.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>

// QuickFIX 1.15 has no setting for the acceptor's address and listens on every interface. The
// tests must listen on 127.0.0.1 only: this bind() (found before libc's by the dynamic linker)
// turns a wildcard IPv4 address into the loopback address.
extern "C" int bind(int fd, const struct sockaddr* addr, socklen_t len) {
  if (addr != nullptr && addr->sa_family == AF_INET && len >= (socklen_t)sizeof(sockaddr_in)) {
    sockaddr_in local = *reinterpret_cast<const sockaddr_in*>(addr);
    if (local.sin_addr.s_addr == htonl(INADDR_ANY)) local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return (int)syscall(SYS_bind, fd, reinterpret_cast<const sockaddr*>(&local), sizeof local);
  }
  return (int)syscall(SYS_bind, fd, addr, len);
}

static std::mutex outMutex;

static std::string jsonString(const std::string& s) {
  std::string o = "\"";
  for (unsigned char c : s) {
    if (c == 1) o += '|';
    else if (c == '"') o += "\\\"";
    else if (c == '\\') o += "\\\\";
    else if (c < 0x20 || c >= 0x7f) { char b[8]; snprintf(b, sizeof b, "\\u%04x", c); o += b; }
    else o += (char)c;
  }
  return o + "\"";
}

static void emit(const std::string& ev, const std::string& key = "", const std::string& value = "") {
  std::lock_guard<std::mutex> lock(outMutex);
  std::cout << "{\"ev\":\"" << ev << "\"";
  if (!key.empty()) std::cout << ",\"" << key << "\":" << jsonString(value);
  std::cout << "}" << std::endl;
}

// QuickFIX's FileLog, plus every line on stdout.
class TeeLog : public FIX::Log {
 public:
  explicit TeeLog(FIX::Log* file) : file_(file) {}
  FIX::Log* file() { return file_; }
  void clear() override { file_->clear(); }
  void backup() override { file_->backup(); }
  void onIncoming(const std::string& s) override { file_->onIncoming(s); emit("in", "raw", s); }
  void onOutgoing(const std::string& s) override { file_->onOutgoing(s); emit("out", "raw", s); }
  void onEvent(const std::string& s) override { file_->onEvent(s); emit("event", "text", s); }
 private:
  FIX::Log* file_;
};

class TeeLogFactory : public FIX::LogFactory {
 public:
  explicit TeeLogFactory(const FIX::SessionSettings& s) : files_(s) {}
  FIX::Log* create() override { return new TeeLog(files_.create()); }
  FIX::Log* create(const FIX::SessionID& id) override { return new TeeLog(files_.create(id)); }
  void destroy(FIX::Log* log) override {
    TeeLog* tee = static_cast<TeeLog*>(log);
    files_.destroy(tee->file());
    delete tee;
  }
 private:
  FIX::FileLogFactory files_;
};

class Counterparty : public FIX::Application {
 public:
  FIX::SessionID session;
  int execCounter = 0;

  void onCreate(const FIX::SessionID& id) override { session = id; emit("create", "session", id.toString()); }
  void onLogon(const FIX::SessionID& id) override { emit("logon", "session", id.toString()); }
  void onLogout(const FIX::SessionID& id) override { emit("logout", "session", id.toString()); }
  void toAdmin(FIX::Message&, const FIX::SessionID&) override {}
  void toApp(FIX::Message&, const FIX::SessionID&) throw(FIX::DoNotSend) override {}
  void fromAdmin(const FIX::Message&, const FIX::SessionID&)
    throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::RejectLogon) override {}

  void fromApp(const FIX::Message& m, const FIX::SessionID& id)
    throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::UnsupportedMessageType) override {
    std::string raw;
    m.toString(raw);
    emit("app", "raw", raw);
    const std::string type = m.getHeader().getField(FIX::FIELD::MsgType);
    if (type == "8" || type == "j") return; // execution reports and business rejects (as an initiator)
    if (type != "D") throw FIX::UnsupportedMessageType("only NewOrderSingle is handled here");
    const std::string clOrdID = m.getField(FIX::FIELD::ClOrdID);
    const std::string ordType = m.getField(FIX::FIELD::OrdType);
    // This counterparty trades market and limit orders only: the application refuses the rest.
    if (ordType != "1" && ordType != "2") throw FIX::IncorrectTagValue(FIX::FIELD::OrdType);
    const bool possDup = m.getHeader().isSetField(FIX::FIELD::PossDupFlag) && m.getHeader().getField(FIX::FIELD::PossDupFlag) == "Y";
    if (possDup && answered_.count(clOrdID) > 0) return; // a resent order already answered
    answered_.insert(clOrdID);
    const std::string qty = m.isSetField(FIX::FIELD::OrderQty) ? m.getField(FIX::FIELD::OrderQty) : "100";
    const std::string px = m.isSetField(FIX::FIELD::Price) ? m.getField(FIX::FIELD::Price) : "99.5";
    sendExec(id, clOrdID, m.getField(FIX::FIELD::Symbol), m.getField(FIX::FIELD::Side), qty, px, false);
    sendExec(id, clOrdID, m.getField(FIX::FIELD::Symbol), m.getField(FIX::FIELD::Side), qty, px, true);
  }

  void sendExec(const FIX::SessionID& id, const std::string& clOrdID, const std::string& symbol, const std::string& side,
                const std::string& qty, const std::string& px, bool filled) {
    FIX::Message er;
    er.getHeader().setField(FIX::FIELD::MsgType, "8");
    er.setField(FIX::FIELD::OrderID, "QF-" + clOrdID);
    er.setField(FIX::FIELD::ClOrdID, clOrdID);
    er.setField(FIX::FIELD::ExecID, "QFX-" + std::to_string(++execCounter));
    er.setField(FIX::FIELD::ExecType, filled ? "F" : "0");
    er.setField(FIX::FIELD::OrdStatus, filled ? "2" : "0");
    er.setField(FIX::FIELD::Symbol, symbol);
    er.setField(FIX::FIELD::Side, side);
    er.setField(FIX::FIELD::OrderQty, qty);
    er.setField(FIX::FIELD::LastQty, filled ? qty : "0");
    er.setField(FIX::FIELD::LastPx, filled ? px : "0");
    er.setField(FIX::FIELD::LeavesQty, filled ? "0" : qty);
    er.setField(FIX::FIELD::CumQty, filled ? qty : "0");
    er.setField(FIX::FIELD::AvgPx, filled ? px : "0");
    if (filled) {
      // A repeating group (Parties) on fills: the other side must parse it as one.
      const int order[] = {FIX::FIELD::PartyID, FIX::FIELD::PartyIDSource, FIX::FIELD::PartyRole, 0};
      for (const char* party : {"QF-BROKER", "QF-DESK"}) {
        FIX::Group g(FIX::FIELD::NoPartyIDs, FIX::FIELD::PartyID, order);
        g.setField(FIX::FIELD::PartyID, party);
        g.setField(FIX::FIELD::PartyIDSource, "D");
        g.setField(FIX::FIELD::PartyRole, "1");
        er.addGroup(g);
      }
    }
    FIX::Session::sendToTarget(er, id);
  }

 private:
  std::set<std::string> answered_;
};

static void command(Counterparty& app, const std::string& line) {
  std::istringstream in(line);
  std::string cmd;
  in >> cmd;
  FIX::Session* s = FIX::Session::lookupSession(app.session);
  if (cmd.empty()) return;
  if (s == nullptr) { emit("error", "text", "no session"); return; }
  if (cmd == "order") {
    std::string clOrdID, ordType = "2";
    in >> clOrdID >> ordType;
    FIX::Message o;
    o.getHeader().setField(FIX::FIELD::MsgType, "D");
    o.setField(FIX::FIELD::ClOrdID, clOrdID);
    o.setField(FIX::FIELD::HandlInst, "1");
    o.setField(FIX::FIELD::Symbol, "IBM");
    o.setField(FIX::FIELD::Side, "1");
    o.setField(FIX::FIELD::TransactTime, FIX::UtcTimeStampConvertor::convert(FIX::UtcTimeStamp(), 3));
    o.setField(FIX::FIELD::OrderQty, "100");
    o.setField(FIX::FIELD::OrdType, ordType);
    if (ordType == "2") o.setField(FIX::FIELD::Price, "99.5");
    FIX::Session::sendToTarget(o, app.session);
  } else if (cmd == "exec") {
    std::string clOrdID;
    in >> clOrdID;
    app.sendExec(app.session, clOrdID, "IBM", "1", "100", "99.5", true);
  } else if (cmd == "send") {
    std::string type, fields;
    in >> type >> fields;
    FIX::Message m;
    m.getHeader().setField(FIX::FIELD::MsgType, type);
    std::istringstream f(fields);
    std::string kv;
    while (std::getline(f, kv, '|')) {
      const size_t eq = kv.find('=');
      if (eq != std::string::npos) m.setField(std::stoi(kv.substr(0, eq)), kv.substr(eq + 1));
    }
    FIX::Session::sendToTarget(m, app.session);
  } else if (cmd == "testrequest") {
    std::string id;
    in >> id;
    FIX::Message t;
    t.getHeader().setField(FIX::FIELD::MsgType, "1");
    t.setField(FIX::FIELD::TestReqID, id);
    FIX::Session::sendToTarget(t, app.session);
  } else if (cmd == "seq") {
    std::string sender, target;
    in >> sender >> target;
    if (!sender.empty() && sender != "-") s->setNextSenderMsgSeqNum(std::stoi(sender));
    if (!target.empty() && target != "-") s->setNextTargetMsgSeqNum(std::stoi(target));
  } else if (cmd == "logout") {
    std::string text;
    std::getline(in, text);
    s->logout(text.empty() ? "" : text.substr(1));
  } else if (cmd == "status") {
    std::lock_guard<std::mutex> lock(outMutex);
    std::cout << "{\"ev\":\"status\",\"loggedOn\":" << (s->isLoggedOn() ? "true" : "false")
              << ",\"nextSender\":" << s->getExpectedSenderNum() << ",\"nextTarget\":" << s->getExpectedTargetNum() << "}" << std::endl;
  } else {
    emit("error", "text", "unknown command: " + cmd);
    return;
  }
  emit("done", "command", cmd);
}

int main(int argc, char** argv) {
  if (argc != 2) { std::cerr << "usage: counterparty <settings file>" << std::endl; return 2; }
  try {
    FIX::SessionSettings settings(argv[1]);
    Counterparty app;
    FIX::FileStoreFactory store(settings);
    TeeLogFactory logs(settings);
    const std::string type = settings.get().getString("ConnectionType");
    std::unique_ptr<FIX::Initiator> initiator;
    std::unique_ptr<FIX::Acceptor> acceptor;
    if (type == "acceptor") { acceptor.reset(new FIX::SocketAcceptor(app, store, settings, logs)); acceptor->start(); }
    else { initiator.reset(new FIX::SocketInitiator(app, store, settings, logs)); initiator->start(); }
    emit("ready");
    std::string line;
    while (std::getline(std::cin, line)) {
      if (line == "quit") break;
      try { command(app, line); } catch (std::exception& e) { emit("error", "text", e.what()); }
    }
    // Stop without a Logout when told to quit hard (stdin closed): like a crash of the process.
    if (acceptor) acceptor->stop(line != "quit");
    if (initiator) initiator->stop(line != "quit");
    emit("stopped");
  } catch (std::exception& e) {
    emit("error", "text", e.what());
    return 1;
  }
  return 0;
}
