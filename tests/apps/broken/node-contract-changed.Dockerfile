# A hand-written migration of ../node/Dockerfile that changed the runtime
# contract: another working directory, another port and an ENV the
# original never set (msb verify: failed: config).
FROM node:18 AS builder
WORKDIR /usr/src/app
COPY package*.json ./
RUN npm ci
COPY . .

FROM node:18-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=builder --chown=1000:1000 /usr/src/app /app
EXPOSE 8080
USER 1000:1000
CMD ["node", "server.js"]
