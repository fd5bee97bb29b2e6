/* token_cli.h - `parleyd token ...`: mints access tokens for operators with
 * an API key from the configuration. */
#ifndef PARLEY_SIGNALING_TOKEN_CLI_H
#define PARLEY_SIGNALING_TOKEN_CLI_H

/* Runs the subcommand; argv[0] is "token". Returns the exit status. @thread main */
int token_cli_main(int argc, char **argv, char **envp);

#endif
