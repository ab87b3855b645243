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
  // issue 13: detached multiplexer sessions, and kills fed by a search through xargs
  "tmux new -d -s web 'npm run dev'",
  'tmux new-session -d -s api "cd api && uvicorn main:app --port 8000"',
  'tmux new -ds web npm start',
  "tmux send-keys -t web 'npm run dev' Enter",
  'screen -dmS web npm run dev',
  'screen -d -m python3 -m http.server 8765',
  'nohup python3 -m http.server &',
  'lsof -t -i :8080 | xargs kill',
  'lsof -ti tcp:3000 | xargs -r kill -9',
  'pgrep -f vite | xargs kill',
  "ps aux | grep 'next dev' | awk '{print $2}' | xargs kill -9",
  'ps -ef | grep node | awk \'{print $2}\' | xargs -I {} kill {}',
  'pidof node | xargs kill',
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
  // issue 13: the other side of the new patterns
  'tmux ls',
  'tmux attach -t web',
  'tmux new -s scratch',
  "tmux new -d -s build 'make test'",
  "tmux send-keys -t web C-c",
  'screen -ls',
  'screen -r web',
  'nohup make build > build.log 2>&1',
  'nohup ./backup.sh &',
  'echo 12345 | xargs kill',
  'cat pids.txt | xargs echo',
  'lsof -t -i :8080',
  'pgrep -f vite',
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

test('a kill of what a port search found names the port in the berth command to use', () => {
  assert.match(judgeCommand('lsof -t -i :8080 | xargs kill').reason!, /`berth free 8080`/);
  assert.match(judgeCommand('kill -9 $(lsof -ti tcp:3000)').reason!, /`berth free 3000`/);
  assert.match(judgeCommand('pgrep -f vite | xargs kill').reason!, /`berth stop NAME`/);
  assert.match(judgeCommand("tmux new -d -s web 'npm run dev'").reason!, /detached tmux or screen.*`berth run NAME --port auto -- CMD`/);
});
