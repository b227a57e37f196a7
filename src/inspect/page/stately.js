// Bridge to Stately's hosted inspector, as `@statelyai/inspect/server` does it: the inspector in the iframe posts
// `@statelyai.connected` when it is ready; from then on every raw inspection event from this server is posted to
// it. Events that arrive before that are held.
'use strict';

const iframe = document.getElementById('inspector');
const held = [];
let connected = false;

window.addEventListener('message', (e) => {
  if (e.origin !== 'https://stately.ai') return;
  if (e.data && e.data.type === '@statelyai.connected') {
    connected = true;
    for (const event of held.splice(0)) iframe.contentWindow.postMessage(event, 'https://stately.ai');
  }
});

const token = new URLSearchParams(location.search).get('token') ?? '';
const socket = new WebSocket(`ws://${location.host}/_lifecycle/raw?token=${encodeURIComponent(token)}`);
socket.onmessage = (message) => {
  const event = JSON.parse(message.data);
  if (connected) iframe.contentWindow.postMessage(event, 'https://stately.ai');
  else held.push(event);
};
