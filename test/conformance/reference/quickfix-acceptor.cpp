// The reference target of the conformance suite (CONFORMANCE_TARGET=quickfix): a QuickFIX/C++
// acceptor with QuickFIX's acceptance-test application (NewOrderSingle, SecurityDefinition and
// News sent back as they came; a PossResend=Y order whose ClOrdID was seen is ignored). It checks
// the scripts, not the engine: a scenario QuickFIX does not pass says the script is wrong.
// Usage: quickfix-acceptor <settings file>; prints "ready" once listening; on stdin, one per line:
// "logout <text>" logs every session out; end of input stops it.
// Build: g++ -std=c++11 quickfix-acceptor.cpp $(pkg-config --cflags --libs quickfix) -pthread
#include <quickfix/Application.h>
#include <quickfix/FileStore.h>
#include <quickfix/Log.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketAcceptor.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <iostream>
#include <mutex>
#include <set>
#include <string>

// This QuickFIX listens on every interface; tests stay on the loopback address: bind() here is
// found before libc's and moves a wildcard IPv4 address to 127.0.0.1.
extern "C" int bind(int fd, const struct sockaddr* addr, socklen_t len) {
  if (addr != nullptr && addr->sa_family == AF_INET && len >= (socklen_t)sizeof(sockaddr_in)) {
    sockaddr_in local = *reinterpret_cast<const sockaddr_in*>(addr);
    if (local.sin_addr.s_addr == htonl(INADDR_ANY)) local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return (int)syscall(SYS_bind, fd, reinterpret_cast<const sockaddr*>(&local), sizeof local);
  }
  return (int)syscall(SYS_bind, fd, addr, len);
}

class Echo : public FIX::Application {
 public:
  std::set<FIX::SessionID> sessions;
  void onCreate(const FIX::SessionID& id) override { sessions.insert(id); }
  void onLogon(const FIX::SessionID&) override {}
  void onLogout(const FIX::SessionID&) override {}
  void toAdmin(FIX::Message&, const FIX::SessionID&) override {}
  void toApp(FIX::Message&, const FIX::SessionID&) throw(FIX::DoNotSend) override {}
  void fromAdmin(const FIX::Message&, const FIX::SessionID&)
    throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::RejectLogon) override {}
  void fromApp(const FIX::Message& m, const FIX::SessionID& id)
    throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::UnsupportedMessageType) override {
    const std::string type = m.getHeader().getField(FIX::FIELD::MsgType);
    if (type != "D" && type != "d" && type != "B") throw FIX::UnsupportedMessageType();
    if (type == "D") {
      const bool possResend = m.getHeader().isSetField(FIX::FIELD::PossResend) && m.getHeader().getField(FIX::FIELD::PossResend) == "Y";
      const std::string key = id.toString() + "/" + m.getField(FIX::FIELD::ClOrdID);
      std::lock_guard<std::mutex> lock(mutex_);
      if (possResend && seen_.count(key) > 0) return;
      seen_.insert(key);
    }
    FIX::Message echo = m;
    FIX::Session::sendToTarget(echo, id);
  }
 private:
  std::mutex mutex_;
  std::set<std::string> seen_;
};

int main(int argc, char** argv) {
  if (argc != 2) { std::cerr << "usage: quickfix-acceptor <settings>" << std::endl; return 2; }
  try {
    FIX::SessionSettings settings(argv[1]);
    Echo app;
    FIX::FileStoreFactory store(settings);
    FIX::ScreenLogFactory log(false, false, false);
    FIX::SocketAcceptor acceptor(app, store, settings, log);
    acceptor.start();
    std::cout << "ready" << std::endl;
    std::string line;
    while (std::getline(std::cin, line)) {
      if (line.compare(0, 7, "logout ") == 0) {
        for (const auto& id : app.sessions) {
          FIX::Session* s = FIX::Session::lookupSession(id);
          if (s != nullptr) s->logout(line.substr(7));
        }
      }
    }
    acceptor.stop();
  } catch (std::exception& e) {
    std::cerr << e.what() << std::endl;
    return 1;
  }
  return 0;
}
