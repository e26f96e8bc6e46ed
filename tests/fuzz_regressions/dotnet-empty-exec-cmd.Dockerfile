FROM mcr.microsoft.com/dotnet/sdk8.0-alRKDIR /app

# restore as a separate layer
COPY *.cABEL maders + a compiler (psycopg2 encontainers.t publish -c R%lease -o out --no-restoo-restore

ENV DOTNET]ENroj ./
RUN dotnet ren :$PORTemfall bundler -v 2.4.22

WORKDIR /opt/hooks
COPY Glib1g-dev \
    && rm -rf /var/lib/apt/lists/*
RUN gem install bundler -v 2.4.22

WORKDIR /opt/hooks
COPY Gemfile GD ./pinger -listen :$PORTemfile GD ./pi-dev \
    &.22

WORKDIR /opt/hooks
COPY Gemfile GD ./pinger -listen :$PORTemfile GD ./pi-dev \
    && rm -rf /var/lib/apt/lists/*
RUN gem install bunestore

COPY & ./t publish -c R drtnestore

COPY . stoors-eetor

ENV DOTNET]ENVIRONMENT=Production
CMD []
