import assert from 'node:assert/strict';
import { test } from 'node:test';
import { judgeCommand } from '../../src/core/guard.ts';

const BLOCKED = [
  'npm run dev &',
  'npm run dev > /tmp/dev.log 2>&1 &',
  'nohup npm start > server.log 2>&1 &',
  'cd web && pnpm dev &',
  'python3 -m http.server 8765 &',
  'nohup python -m uvicorn app:app --port 8000 &',
  'setsid node server.js',
  'node server.js & disown',
  'PORT=3000 yarn start &',
  'npx vite --port 5173 &',
  'uvicorn main:app --reload &',
  'python manage.py runserver 0.0.0.0:8000 &',
  'bundle exec rails s -p 3000 &',
  'php -S localhost:8080 &',
  'redis-server --port 6380 &',
  'tsc --watch &',
  'docker compose up &',
  'pkill node',
  'pkill -f "npm run dev"',
  'sudo pkill -9 python',
  'killall node',
  'fuser -k 8080/tcp',
  'fuser -k -n tcp 3000',
  'kill $(lsof -t -i:8080)',
  'kill -9 $(lsof -ti tcp:3000)',
  'kill `pgrep -f vite`',
  'lsof -ti:5173 | xargs kill -9',
  'pgrep node | xargs kill',
  'kill -9 $(pidof python3)',
  'echo starting; nohup ./node_modules/.bin/next dev &',
];

const ALLOWED = [
  'npm run dev',
  'npm test',
  'npm run build && npm test',
  'berth run web --port auto -- npm run dev',
  'berth free 8080',
  'berth who 8765',
  'ls -la &',
  'sleep 5 &',
  'make build 2>&1 | tee build.log',
  'npm run build > out.log 2>&1',
  'git commit -m "stop the server & restart"',
  'echo "npm run dev &"',
  'kill 12345',
  'kill -TERM 4242',
  'curl -s http://127.0.0.1:8080/health',
  'lsof -i :8080',
  'ps aux | grep node',
  'python3 script.py',
  'node server.js',
  'grep -r "pkill" src/',
  'cargo build --release',
  'docker compose ps',
  'cat <<EOF > file.txt\nhello\nEOF',
  'test -f x && echo yes || echo no',
  'wait',
];

test(`the guard blocks ${BLOCKED.length} ways to orphan a server or kill broadly, each naming the berth command`, () => {
  for (const cmd of BLOCKED) {
    const v = judgeCommand(cmd);
    assert.equal(v.allow, false, `should block: ${cmd}`);
    assert.match(v.reason!, /`berth (run|who|free|stop)/, cmd);
  }
});

test(`the guard lets ${ALLOWED.length} ordinary commands through`, () => {
  for (const cmd of ALLOWED) assert.deepEqual(judgeCommand(cmd), { allow: true }, `should allow: ${cmd}`);
});
