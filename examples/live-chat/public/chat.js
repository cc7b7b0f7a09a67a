// The page's side: one WebSocket to the room's object, through the Worker.
const $ = (id) => document.getElementById(id);
let socket = null;

const line = (text, kind) => {
  const li = document.createElement("li");
  li.textContent = text;
  if (kind) li.className = kind;
  $("log").append(li);
};

$("join").addEventListener("submit", (event) => {
  event.preventDefault();
  if (socket) socket.close(1000, "switching rooms");
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/rooms/${$("room").value}/ws?name=${encodeURIComponent($("name").value)}`);
  socket.addEventListener("open", () => { $("status").textContent = `connected to ${$("room").value}`; });
  socket.addEventListener("close", (e) => { $("status").textContent = `closed ${e.code} ${e.reason}`; });
  socket.addEventListener("message", (e) => {
    const event = JSON.parse(e.data);
    if (event.type === "welcome") {
      $("version").textContent = `room on version ${event.version}`;
      for (const m of event.history) line(`${m.author}: ${m.text}`);
      line(`${event.online} online`, "event");
    } else if (event.type === "message") {
      line(`${event.author}: ${event.text}`);
    } else {
      line(`${event.name} ${event.type}`, "event");
    }
  });
});

$("say").addEventListener("submit", (event) => {
  event.preventDefault();
  if (socket && socket.readyState === WebSocket.OPEN && $("text").value) {
    socket.send($("text").value);
    $("text").value = "";
  }
});
