// The QuickFIX/C++ baseline of the end-to-end benchmark (bench/e2e.ts): a FIX.4.4 executor
// (acceptor) and trade client (initiator), as QuickFIX's own examples pair them, each with a
// FileStore. The executor answers every NewOrderSingle with two ExecutionReports (new, then filled);
// in Text(58) it returns the wall-clock microsecond at which the order reached its Application, so
// the client can split the round trip without a second channel.
//
//   roundtrip executor <settings> [sync] [quiet]
//     ("quiet": answers no order, for the bench's outbound pass) prints "READY"; stdin commands: "stats" -> "STATS <orders>", "records <file>" -> writes one
//     line per order "<ClOrdID> <receive wall us> <TransactTime> <SendingTime>" and prints "DONE";
//     "quit" logs out and exits.
//   roundtrip client <settings> <sustainSeconds> <window> <rateSeconds> <rate,rate,...> [sync]
//     logs on, warms up with 1,000 orders, then: as many orders as it can for <sustainSeconds> with
//     at most <window> unfilled; then each fixed rate for <rateSeconds>; prints one JSON line per
//     phase, then {"phase":"end"} with its orders and CPU time, and exits.
// "sync": the FileStore also calls fdatasync after every write (QuickFIX's own only fflushes, so
// its messages survive a crash of the process but not of the machine).
// Build: g++ -std=c++11 -O2 roundtrip.cpp $(pkg-config --cflags --libs quickfix) -pthread
#include <quickfix/Application.h>
#include <quickfix/FileStore.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketAcceptor.h>
#include <quickfix/SocketInitiator.h>
#include <quickfix/fix44/ExecutionReport.h>
#include <quickfix/fix44/NewOrderSingle.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

// QuickFIX 1.15 listens on every interface; the bench stays on 127.0.0.1 (the same bind() shim
// as the interop counterparty: a wildcard IPv4 address becomes the loopback address).
extern "C" int bind(int fd, const struct sockaddr* addr, socklen_t len) {
  if (addr != nullptr && addr->sa_family == AF_INET && len >= (socklen_t)sizeof(sockaddr_in)) {
    sockaddr_in local = *reinterpret_cast<const sockaddr_in*>(addr);
    if (local.sin_addr.s_addr == htonl(INADDR_ANY)) local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return (int)syscall(SYS_bind, fd, reinterpret_cast<const sockaddr*>(&local), sizeof local);
  }
  return (int)syscall(SYS_bind, fd, addr, len);
}

static int64_t wallMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
    std::chrono::system_clock::now().time_since_epoch()).count();
}

// A FileStore whose every write reaches the disk before QuickFIX goes on: fdatasync on the files
// FileStore has just fflushed (any descriptor of a file flushes its pages).
class SyncedFileStore : public FIX::FileStore {
public:
  SyncedFileStore(const std::string& path, const FIX::SessionID& s)
  : FIX::FileStore(path, s), prefix(path + "/" + s.getBeginString().getString() + "-" +
      s.getSenderCompID().getString() + "-" + s.getTargetCompID().getString() + ".") { open(); }
  ~SyncedFileStore() { close(); }
  bool set(int n, const std::string& m) throw(FIX::IOException) override {
    bool r = FIX::FileStore::set(n, m);
    sync(0, 2);
    return r;
  }
  void setNextSenderMsgSeqNum(int v) throw(FIX::IOException) override {
    FIX::FileStore::setNextSenderMsgSeqNum(v);
    sync(2, 3);
  }
  void setNextTargetMsgSeqNum(int v) throw(FIX::IOException) override {
    FIX::FileStore::setNextTargetMsgSeqNum(v);
    sync(2, 3);
  }
  void incrNextSenderMsgSeqNum() throw(FIX::IOException) override {
    FIX::FileStore::incrNextSenderMsgSeqNum();
    sync(2, 3);
  }
  void incrNextTargetMsgSeqNum() throw(FIX::IOException) override {
    FIX::FileStore::incrNextTargetMsgSeqNum();
    sync(2, 3);
  }
  // A reset or refresh makes FileStore open its files again (new files after a reset).
  void reset() throw(FIX::IOException) override {
    FIX::FileStore::reset();
    close();
    open();
  }
  void refresh() throw(FIX::IOException) override {
    FIX::FileStore::refresh();
    close();
    open();
  }

private:
  std::string prefix;
  std::vector<int> fds;
  void open() {
    for (const char* ext : {"body", "header", "seqnums"}) {
      int fd = ::open((prefix + ext).c_str(), O_RDONLY);
      if (fd < 0) throw FIX::IOException("cannot open " + prefix + ext + " to sync it");
      fds.push_back(fd);
    }
  }
  void close() {
    for (int fd : fds) ::close(fd);
    fds.clear();
  }
  // fds[from, to): the body and header after a message, the sequence numbers after a change of them.
  void sync(size_t from, size_t to) {
    for (size_t i = from; i < to; i++) if (fdatasync(fds[i]) != 0) throw FIX::IOException("fdatasync failed");
  }
};

class SyncedFileStoreFactory : public FIX::MessageStoreFactory {
public:
  explicit SyncedFileStoreFactory(const FIX::SessionSettings& s) : settings(s) {}
  FIX::MessageStore* create(const FIX::SessionID& id) override {
    return new SyncedFileStore(settings.get(id).getString(FIX::FILE_STORE_PATH), id);
  }
  void destroy(FIX::MessageStore* store) override { delete store; }
private:
  FIX::SessionSettings settings;
};

// ---------------------------------------------------------------- executor

struct Arrival { std::string clOrdID, transactTime, sendingTime; int64_t atMicros; };

class Executor : public FIX::Application {
public:
  std::mutex mutex;
  std::vector<Arrival> arrivals;
  long execs = 0;
  bool quiet = false;

  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID&) override {}
  void onLogout(const FIX::SessionID&) override {}
  void toAdmin(FIX::Message&, const FIX::SessionID&) override {}
  void toApp(FIX::Message&, const FIX::SessionID&) throw(FIX::DoNotSend) override {}
  void fromAdmin(const FIX::Message&, const FIX::SessionID&)
    throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::RejectLogon) override {}

  void fromApp(const FIX::Message& m, const FIX::SessionID& id)
    throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::UnsupportedMessageType) override {
    int64_t at = wallMicros();
    FIX::MsgType type;
    m.getHeader().getField(type);
    if (type != FIX::MsgType_NewOrderSingle) throw FIX::UnsupportedMessageType();
    FIX::ClOrdID clOrdID; FIX::Side side; FIX::Symbol symbol; FIX::OrderQty qty; FIX::Price price;
    m.getField(clOrdID); m.getField(side); m.getField(symbol); m.getField(qty);
    double px = m.isSetField(FIX::FIELD::Price) ? (m.getField(price), price.getValue()) : 0;
    {
      std::lock_guard<std::mutex> lock(mutex);
      arrivals.push_back({clOrdID.getValue(), m.getField(FIX::FIELD::TransactTime),
        m.getHeader().getField(FIX::FIELD::SendingTime), at});
    }
    for (int n = 0; n < (quiet ? 0 : 2); n++) {
      bool fill = n == 1;
      FIX44::ExecutionReport er(
        FIX::OrderID("O" + clOrdID.getValue()), FIX::ExecID(std::to_string(++execs)),
        FIX::ExecType(fill ? FIX::ExecType_TRADE : FIX::ExecType_NEW),
        FIX::OrdStatus(fill ? FIX::OrdStatus_FILLED : FIX::OrdStatus_NEW), side,
        FIX::LeavesQty(fill ? 0 : qty.getValue()), FIX::CumQty(fill ? qty.getValue() : 0), FIX::AvgPx(fill ? px : 0));
      er.set(clOrdID);
      er.set(symbol);
      er.set(qty);
      if (fill) { er.set(FIX::LastQty(qty.getValue())); er.set(FIX::LastPx(px)); }
      er.set(FIX::Text(std::to_string(at)));
      FIX::Session::sendToTarget(er, id);
    }
  }
};

static int runExecutor(const FIX::SessionSettings& settings, FIX::MessageStoreFactory& store, bool quiet) {
  Executor app;
  app.quiet = quiet;
  FIX::SocketAcceptor acceptor(app, store, settings);
  acceptor.start();
  std::cout << "READY" << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string cmd, arg;
    in >> cmd >> arg;
    if (cmd == "stats") {
      std::lock_guard<std::mutex> lock(app.mutex);
      std::cout << "STATS " << app.arrivals.size() << std::endl;
    } else if (cmd == "records") {
      std::ofstream out(arg);
      std::lock_guard<std::mutex> lock(app.mutex);
      for (const Arrival& a : app.arrivals) {
        out << a.clOrdID << ' ' << a.atMicros << ' ' << a.transactTime << ' ' << a.sendingTime << '\n';
      }
      out.close();
      std::cout << "DONE" << std::endl;
    } else if (cmd == "quit") {
      break;
    }
  }
  acceptor.stop();
  return 0;
}

// ---------------------------------------------------------------- client

class Client : public FIX::Application {
public:
  std::mutex mutex;
  std::condition_variable changed;
  bool loggedOn = false;
  long unfilled = 0;
  // Per order (index = ClOrdID number): sent, executor's receipt, first report and fill, wall us.
  std::vector<int64_t> sent, reached, acked, filled;
  FIX::SessionID session;

  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID& id) override {
    std::lock_guard<std::mutex> lock(mutex);
    session = id; loggedOn = true; changed.notify_all();
  }
  void onLogout(const FIX::SessionID&) override {
    std::lock_guard<std::mutex> lock(mutex);
    loggedOn = false; changed.notify_all();
  }
  void toAdmin(FIX::Message&, const FIX::SessionID&) override {}
  void toApp(FIX::Message&, const FIX::SessionID&) throw(FIX::DoNotSend) override {}
  void fromAdmin(const FIX::Message&, const FIX::SessionID&)
    throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::RejectLogon) override {}

  void fromApp(const FIX::Message& m, const FIX::SessionID&)
    throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::UnsupportedMessageType) override {
    int64_t at = wallMicros();
    FIX::ClOrdID clOrdID; FIX::OrdStatus status; FIX::Text text;
    m.getField(clOrdID); m.getField(status); m.getField(text);
    size_t i = std::stoul(clOrdID.getValue().substr(1));
    std::lock_guard<std::mutex> lock(mutex);
    if (i >= sent.size()) return;
    if (status.getValue() == FIX::OrdStatus_NEW) {
      acked[i] = at;
      reached[i] = std::stoll(text.getValue());
    } else if (status.getValue() == FIX::OrdStatus_FILLED) {
      filled[i] = at;
      unfilled--;
      changed.notify_all();
    }
  }

  void send(size_t i) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      unfilled++;
      sent[i] = wallMicros();
    }
    FIX44::NewOrderSingle o(FIX::ClOrdID("Q" + std::to_string(i)), FIX::Side(i % 2 == 0 ? FIX::Side_BUY : FIX::Side_SELL),
      FIX::TransactTime(FIX::UtcTimeStamp(), 3), FIX::OrdType(FIX::OrdType_LIMIT));
    o.set(FIX::Symbol("IBM"));
    o.set(FIX::OrderQty(100 + (i % 10) * 10));
    o.set(FIX::Price(50 + (i % 100) / 4.0));
    o.set(FIX::TimeInForce(FIX::TimeInForce_DAY));
    FIX::Session::sendToTarget(o, session);
  }

  void reserve(size_t n) {
    std::lock_guard<std::mutex> lock(mutex);
    sent.resize(n, 0); reached.resize(n, 0); acked.resize(n, 0); filled.resize(n, 0);
  }

  // Waits until at most `max` orders are unfilled; false when it took longer than the timeout.
  bool waitUnfilled(long max, int seconds = 300) {
    std::unique_lock<std::mutex> lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(seconds), [&] { return unfilled <= max; });
  }
};

// CPU time (user + system) this process has used so far, in ms.
static double cpuMillis() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

static double pct(std::vector<double> v, double p) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, (size_t)(p * v.size()))];
}

static int fail(FIX::SocketInitiator& initiator, const std::string& why) {
  std::cout << "{\"error\":\"" << why << "\"}" << std::endl;
  initiator.stop(true);
  return 1;
}

static int runClient(const FIX::SessionSettings& settings, FIX::MessageStoreFactory& store, int sustainS, long window,
  int rateS, const std::vector<int>& rates) {
  Client app;
  FIX::SocketInitiator initiator(app, store, settings);
  initiator.start();
  {
    std::unique_lock<std::mutex> lock(app.mutex);
    if (!app.changed.wait_for(lock, std::chrono::seconds(30), [&] { return app.loggedOn; })) {
      lock.unlock();
      return fail(initiator, "no logon within 30 s");
    }
  }
  // Orders are numbered from 0 across phases; at most this many in one run.
  const size_t capacity = 2000000;
  app.reserve(capacity);
  size_t next = 0;
  for (int i = 0; i < 1000; i++) app.send(next++);
  if (!app.waitUnfilled(0)) return fail(initiator, "warm-up not filled within 300 s");

  {
    auto t0 = std::chrono::steady_clock::now();
    size_t first = next;
    while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(sustainS) && next < capacity) {
      app.waitUnfilled(window - 1);
      app.send(next++);
    }
    double sentFor = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // Round trips completed within the phase, as the Node-RED pass counts them: fills by its end.
    long unfilledAtEnd;
    { std::lock_guard<std::mutex> lock(app.mutex); unfilledAtEnd = app.unfilled; }
    if (!app.waitUnfilled(0)) return fail(initiator, "sustained orders not filled within 300 s");
    std::cout << "{\"phase\":\"sustained\",\"seconds\":" << sentFor << ",\"sent\":" << (next - first)
      << ",\"filled\":" << (next - first - unfilledAtEnd) << "}" << std::endl;
  }

  for (int rate : rates) {
    size_t first = next;
    auto t0 = std::chrono::steady_clock::now();
    long n = (long)rate * rateS;
    for (long k = 0; k < n && next < capacity; k++) {
      std::this_thread::sleep_until(t0 + std::chrono::microseconds((int64_t)(k * 1e6 / rate)));
      app.send(next++);
    }
    if (!app.waitUnfilled(0)) return fail(initiator, "fixed-rate orders not filled within 300 s");
    std::vector<double> oneWay, ack, fill;
    int64_t lastFill = 0;
    {
      std::lock_guard<std::mutex> lock(app.mutex);
      for (size_t i = first; i < next; i++) {
        oneWay.push_back((app.reached[i] - app.sent[i]) / 1000.0);
        ack.push_back((app.acked[i] - app.sent[i]) / 1000.0);
        fill.push_back((app.filled[i] - app.sent[i]) / 1000.0);
        lastFill = std::max(lastFill, app.filled[i]);
      }
    }
    double span = (lastFill - app.sent[first]) / 1e6;
    std::cout << "{\"phase\":\"rate\",\"rate\":" << rate << ",\"orders\":" << (next - first)
      << ",\"span\":" << span << ",\"oneWay\":[" << pct(oneWay, 0.5) << "," << pct(oneWay, 0.99) << ","
      << pct(oneWay, 1) << "],\"ack\":[" << pct(ack, 0.5) << "," << pct(ack, 0.99) << "," << pct(ack, 1)
      << "],\"fill\":[" << pct(fill, 0.5) << "," << pct(fill, 0.99) << "," << pct(fill, 1) << "]}" << std::endl;
  }
  std::cout << "{\"phase\":\"end\",\"orders\":" << next << ",\"cpuMs\":" << cpuMillis() << "}" << std::endl;
  initiator.stop();
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 3) { std::cerr << "usage: roundtrip executor|client <settings> ..." << std::endl; return 2; }
  try {
    std::string role = argv[1];
    FIX::SessionSettings settings(argv[2]);
    bool sync = false, quiet = false;
    for (int i = 3; i < argc; i++) {
      sync = sync || std::string(argv[i]) == "sync";
      quiet = quiet || std::string(argv[i]) == "quiet";
    }
    FIX::FileStoreFactory plain(settings);
    SyncedFileStoreFactory synced(settings);
    FIX::MessageStoreFactory& store = sync ? (FIX::MessageStoreFactory&)synced : (FIX::MessageStoreFactory&)plain;
    if (role == "executor") return runExecutor(settings, store, quiet);
    if (role == "client" && argc >= 7) {
      std::vector<int> rates;
      std::stringstream list(argv[6]);
      for (std::string r; std::getline(list, r, ',');) if (!r.empty()) rates.push_back(std::stoi(r));
      return runClient(settings, store, std::stoi(argv[3]), std::stol(argv[4]), std::stoi(argv[5]), rates);
    }
    std::cerr << "usage: roundtrip executor <settings> [sync] [quiet] | client <settings> <sustainS> <window> <rateS> <rates> [sync]"
      << std::endl;
    return 2;
  } catch (std::exception& e) {
    std::cout << "{\"error\":\"" << e.what() << "\"}" << std::endl;
    return 1;
  }
}
